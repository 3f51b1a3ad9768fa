// Helpers shared by the rules, the alerts and the dashboards.
{
  // The text of a ||| block: its final newline removed.
  text(s):: std.rstripChars(s, '\n'),

  // A ||| block as one line (what YAML's folded style ">-" gives):
  // annotations are written as wrapped paragraphs in the sources.
  oneline(s):: std.join(' ', std.split(std.rstripChars(s, '\n'), '\n')),

  // A PromQL template formatted with the config (and an alert's own
  // values): %(sel)s is the job selector, %(inst)s the labels that name a
  // target (instance, job, ...). With an empty selector "metric{}" becomes
  // "metric" and "{," becomes "{".
  promql(s, params)::
    std.strReplace(std.strReplace(std.rstripChars(s, '\n') % params, '{}', ''), '{,', '{'),

  // An alert's `for` in words, for its description.
  forText(a):: if !std.objectHas(a, 'for') then 'a while'
               else { '1h': 'an hour', '5m': '5 minutes', '10m': '10 minutes', '15m': '15 minutes',
                      '30m': '30 minutes', '2m': '2 minutes' }[a['for']],

  // Series of another network namespace carry netns (the host's have
  // none): the alert says which, and who lives there (netstack_netns_info:
  // pod_uid joins kube-state-metrics' kube_pod_info{uid}). Empty for the host.
  netnsSummary:: '{{ with $labels.netns }} (netns {{ . }}){{ end }}',
  netnsDescription:: '{{ with $labels.netns }} Network namespace {{ . }}' +
                     '{{ range printf "netstack_netns_info{instance=%q,job=%q,netns=%q}" $labels.instance $labels.job . | query }}' +
                     '{{ with .Labels.pod_uid }}: pod UID {{ . }} (kube_pod_info{uid="{{ . }}"}){{ end }}' +
                     '{{ with .Labels.comm }}, process {{ . }}{{ end }}{{ end }}.{{ end }}',

  // A number as PromQL is usually written (0.9, not 0.90000000000000002).
  num(x):: if x == std.floor(x) then '%d' % x else std.format('%.15g', x),

  // The parameters a rule template is formatted with.
  params(c):: {
    sel: c.selector,
    inst: std.join(', ', $.targetLabels(c)),
  },

  // Labels naming one exporter's series (and, with showMultiCluster, the cluster).
  targetLabels(c):: (if c.showMultiCluster then [c.clusterLabel] else []) + c.targetLabels,

  record(c, name, expr):: {
    record: name,
    expr: $.promql(expr, $.params(c)),
  },

  // An alert: `for`, severity and thresholds come from c.alerts[name].
  alert(c, name, expr, summary, description)::
    local a = c.alerts[name];
    // numbers as PromQL writes them (jsonnet would print 0.9 as 0.90000000000000002)
    local p = $.params(c) + {
      [k]: if std.isNumber(a[k]) then $.num(a[k]) else a[k]
      for k in std.objectFields(a)
    };
    {
      alert: name,
      expr: $.promql(expr, p),
    } + (if std.objectHas(a, 'for') && a['for'] != '' then { 'for': a['for'] } else {}) + {
      labels: { severity: a.severity } + c.alertLabels,
      annotations: {
        summary: $.oneline(summary) + (if c.netnsInDescriptions then $.netnsSummary else ''),
        // a description that names %(threshold)s, %(for)s ... gets the
        // alert's values (its other % signs written %%)
        description: $.oneline(if std.length(std.findSubstr('%(', description)) > 0
                               then description % (p + { 'for': $.forText(a) })
                               else description)
                     + (if c.netnsInDescriptions then $.netnsDescription else ''),
        runbook_url: c.runbookURLBase + name + '.md',
      },
    },
}
