// Grafana dashboard builder. The conventions hold by construction: one
// `datasource` variable of type datasource (no `__inputs`), `job` and
// `instance` variables, `$__rate_interval` in every rate(), a unit and a
// description (what to do when it looks wrong) on every panel, a fixed
// uid per dashboard (`netstack-<key>`), and no panel without a query.
//
// Panels are listed in reading order; board() lays them out left to right
// on Grafana's 24-column grid, a row starting a new line, and numbers them.
// Queries are PromQL templates: %(base)s is the dashboard's selector
// (job, instance and, on the per-host dashboards, netns), %% a literal %.
local ds = { type: 'prometheus', uid: '${datasource}' };
{
  ds:: ds,

  thresholds(steps):: {
    mode: 'absolute',
    steps: [{ color: s[1], value: s[0] } for s in steps],
  },

  // Grafana's schema types a panel link as a DashboardLink: every field given.
  link(c, uid, title=null):: {
    type: 'link',
    asDropdown: false,
    icon: 'dashboard',
    includeVars: false,
    keepTime: false,
    tags: [],
    targetBlank: false,
    tooltip: '',
    title: 'Drill down: ' + (if title != null then title else c.dashboardTitles[std.split(uid, '-')[1]]),
    url: '/d/%s/%s?%s' % [uid, uid, c.linkVars + '&${netns:queryparam}'],
  },

  // queries: [expr] or [[expr, legend]]
  targets(queries, instant=false, table=false):: [
    local q = if std.isString(queries[i]) then [queries[i], ''] else queries[i];
    {
      refId: std.char(65 + i),
      datasource: ds,
      expr: q[0],
      legendFormat: if q[1] == '' then '__auto' else q[1],
      instant: instant || table,
      range: !(instant || table),
    } + (if table then { format: 'table' } else {})
    for i in std.range(0, std.length(queries) - 1)
  ],

  row(title):: { kind: 'row', title: title },

  ts(title, queries, unit, desc, w=8, h=8, stack=false, links=[], minv=0, thresholds=null, max_=null):: {
    kind: 'panel',
    w: w,
    h: h,
    panel: {
      type: 'timeseries',
      title: title,
      description: desc,
      datasource: ds,
      fieldConfig: {
        defaults: {
          unit: unit,
          color: { mode: 'palette-classic' },
          custom: {
            drawStyle: 'line',
            lineWidth: 1,
            fillOpacity: 10,
            showPoints: 'never',
            spanNulls: false,
            stacking: { mode: if stack then 'normal' else 'none', group: 'A' },
          } + (if thresholds != null then { thresholdsStyle: { mode: 'dashed' } } else {}),
        } + (if minv != null then { min: minv } else {})
        + (if max_ != null then { max: max_ } else {})
        + (if thresholds != null then { thresholds: $.thresholds(thresholds) } else {}),
        overrides: [],
      },
      options: {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
      targets: $.targets(queries),
    } + (if links != [] then { links: links } else {}),
  },

  stat(title, queries, unit, desc, thresholds, w=4, h=5, links=[], mappings=null, calc='lastNotNull'):: {
    kind: 'panel',
    w: w,
    h: h,
    panel: {
      type: 'stat',
      title: title,
      description: desc,
      datasource: ds,
      fieldConfig: {
        defaults: {
          unit: unit,
          color: { mode: 'thresholds' },
          thresholds: $.thresholds(thresholds),
        } + (if mappings != null then { mappings: mappings } else {}),
        overrides: [],
      },
      options: {
        reduceOptions: { calcs: [calc], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'area',
        justifyMode: 'auto',
        orientation: 'auto',
        textMode: 'auto',
        percentChangeColorMode: 'standard',
        showPercentChange: false,
        wideLayout: true,
      },
      targets: $.targets(queries),
    } + (if links != [] then { links: links } else {}),
  },

  table(title, queries, unit, desc, w=12, h=8, hide=[], links=[], thresholds=null, show_name=false):: {
    kind: 'panel',
    w: w,
    h: h,
    panel: {
      type: 'table',
      title: title,
      description: desc,
      datasource: ds,
      fieldConfig: {
        defaults: {
          unit: unit,
          custom: {
            align: 'auto',
            filterable: true,
            inspect: false,
            cellOptions: if thresholds != null then { type: 'color-background' } else { type: 'auto' },
          },
        } + (if thresholds != null then {
               thresholds: $.thresholds(thresholds),
               color: { mode: 'thresholds' },
             } else {}),
        overrides: [],
      },
      options: {
        showHeader: true,
        cellHeight: 'sm',
        frameIndex: 0,
      },
      transformations: [
        { id: 'merge', options: {} },
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true, job: true }
                           + (if show_name then {} else { __name__: true })
                           + { [k]: true for k in hide },
          },
        },
      ],
      targets: $.targets(queries, table=true),
    } + (if links != [] then { links: links } else {}),
  },

  qvar(name, label, query, multi, all_value='.+'):: {
    type: 'query',
    name: name,
    label: label,
    datasource: ds,
    query: { query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    hide: 0,
    options: [],
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
    multi: multi,
    includeAll: multi,
  } + (if multi then { allValue: all_value } else {}),

  deviceVar:: $.qvar('device', 'Device',
                     'label_values(netstack_netdev_up{job="$job",instance=~"$instance",netns=~"$netns"}, device)',
                     multi=true),

  // Lay the items out (rows and panels), number them, format the queries.
  layout(items, params)::
    local fmt(p) = p {
      targets: [t { expr: t.expr % params } for t in p.targets],
    };
    local step(st, it) =
      if it.kind == 'row' then
        local y = if st.x != 0 then st.y + st.rowh else st.y;
        st {
          x: 0,
          y: y + 1,
          rowh: if st.x != 0 then 0 else st.rowh,
          id: st.id + 1,
          panels+: [{
            id: st.id,
            type: 'row',
            title: it.title,
            collapsed: false,
            gridPos: { h: 1, w: 24, x: 0, y: y },
            panels: [],
          }],
        }
      else
        local wrap = st.x + it.w > 24;
        local x = if wrap then 0 else st.x;
        local y = if wrap then st.y + st.rowh else st.y;
        local rowh = if wrap then 0 else st.rowh;
        st {
          x: x + it.w,
          y: y,
          rowh: std.max(rowh, it.h),
          id: st.id + 1,
          panels+: [fmt(it.panel) + { id: st.id, gridPos: { h: it.h, w: it.w, x: x, y: y } }],
        };
    std.foldl(step, items, { x: 0, y: 0, rowh: 0, id: 1, panels: [] }).panels,

  // The network namespace of a per-host dashboard: a regex on the netns
  // label; empty (the default) is the host's own namespace, whose series
  // have no netns label. The namespaces dashboard lists the names.
  netnsVar:: {
    type: 'textbox',
    name: 'netns',
    label: 'Network namespace (empty: host)',
    description: 'Regex on the netns label; empty selects the host namespace. Names: netstack / Network namespaces dashboard, or label_values(netstack_netns_info, netns).',
    query: '',
    current: { text: '', value: '' },
    options: [{ selected: true, text: '', value: '' }],
    hide: 0,
    skipUrlSync: false,
  },

  // perHost: the dashboard shows one namespace (the netns variable, in
  // every query's selector); false: it spans namespaces.
  board(c, key, description, items, extra_vars=[], perHost=true):: {
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      }, {
        // the firewall changed: nftables' ruleset generation id moved
        datasource: ds,
        enable: true,
        hide: false,
        iconColor: 'orange',
        name: 'nftables ruleset changed',
        target: {
          refId: 'nftables',
          datasource: ds,
          expr: 'changes(netstack_nftables_ruleset_generation{%s}[2m]) > 0' % c.dashboardSelector,
        },
      }],
    },
    description: description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [{
      title: 'netstack dashboards',
      type: 'dashboards',
      tags: ['netstack'],
      asDropdown: true,
      includeVars: true,
      keepTime: true,
      icon: 'external link',
      targetBlank: false,
      tooltip: '',
      url: '',
    }],
    panels: $.layout(items, { base: if perHost then c.dashboardSelector + c.dashboardNetnsSelector
                                    else c.dashboardSelector }),
    refresh: c.dashboardRefresh,
    schemaVersion: 39,
    tags: c.dashboardTags,
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Data source',
          query: 'prometheus',
                hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
          skipUrlSync: false,
        },
        $.qvar('job', 'Job', 'label_values(netstack_exporter_build_info, job)', multi=false),
        $.qvar('instance', 'Instance', 'label_values(netstack_exporter_build_info{job="$job"}, instance)', multi=true),
      ] + extra_vars + (if perHost then [$.netnsVar] else []),
    },
    time: { from: c.dashboardFrom, to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: c.dashboardTitles[key],
    uid: 'netstack-' + key,
    version: 1,
    weekStart: '',
  },
}
