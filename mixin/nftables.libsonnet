// nftables: sets near their declared size, base chains whose drop policy
// suddenly counts many more packets, depleted quotas, and the collector
// itself (it needs CAP_NET_ADMIN). Metrics: docs/metrics/nftables.md.
local u = import 'lib/utils.libsonnet';
{
  local c = $._config,
  prometheusRules+:: {
    groups+: [
      {
        name: 'netstack-nftables.rules',
        rules: [
          // Fill of a set that declares a size (set_max_elements exists only then).
          u.record(c, 'instance_set:netstack_nftables_set_elements:ratio', |||
            netstack_nftables_set_elements{%(sel)s}
            / on (%(inst)s, family, table, set) (netstack_nftables_set_max_elements{%(sel)s} > 0)
          |||),
          // Packets that reached a base chain's policy (no rule gave a verdict).
          u.record(c, 'instance_chain:netstack_nftables_chain_policy_packets:rate5m',
                   'rate(netstack_nftables_chain_policy_packets_total{%(sel)s}[5m])'),
        ],
      },
    ],
  },
  prometheusAlerts+:: {
    groups+: [
      {
        name: 'netstack-nftables',
        rules: [
          u.alert(c, 'NetstackNftablesSetNearlyFull',
                  'instance_set:netstack_nftables_set_elements:ratio > %(threshold)s',
                  'nftables set {{ $labels.family }} {{ $labels.table }} {{ $labels.set }} {{ $value | humanizePercentage }} full on {{ $labels.instance }}',
                  |||
                    The nftables set {{ $labels.set }} (table {{ $labels.family }}
                    {{ $labels.table }}) of {{ $labels.instance }} holds
                    {{ $value | humanizePercentage }} of its declared size
                    {{ with printf "netstack_nftables_set_max_elements{instance=%q,job=%q,netns=%q,family=%q,table=%q,set=%q}" $labels.instance $labels.job $labels.netns $labels.family $labels.table $labels.set | query }}{{ . | first | value | printf "%.0f" }}{{ end }}:
                    once it is full, adding an element fails (a rule's "add @set" or
                    a meter stops tracking new keys; "nft add element" errors).
                  |||),
          u.alert(c, 'NetstackNftablesDropPolicySpike',
                  |||
                    (
                      instance_chain:netstack_nftables_chain_policy_packets:rate5m > %(threshold)s
                      and on (%(inst)s, family, table, chain)
                      instance_chain:netstack_nftables_chain_policy_packets:rate5m
                      > %(factor)s * rate(netstack_nftables_chain_policy_packets_total{%(sel)s}[1h] offset 15m)
                    )
                    and on (%(inst)s, family, table, chain)
                    netstack_nftables_base_chain_info{%(sel)s,policy="drop"}
                  |||,
                  'Drop policy of {{ $labels.family }} {{ $labels.table }} {{ $labels.chain }} dropping {{ $value | humanize }} packets/s on {{ $labels.instance }}',
                  |||
                    The base chain {{ $labels.chain }} (table {{ $labels.family }}
                    {{ $labels.table }}) of {{ $labels.instance }} drops
                    {{ $value | humanize }} packets per second by its policy (no
                    rule accepted them), more than %(threshold)s/s and %(factor)s times
                    its rate of the hour before: a ruleset change that lost an
                    accept rule, or new traffic the firewall does not expect.
                  |||),
          u.alert(c, 'NetstackNftablesQuotaExceeded',
                  'netstack_nftables_quota_exceeded{%(sel)s} == 1',
                  'nftables quota {{ $labels.family }} {{ $labels.table }} {{ $labels.name }} exceeded on {{ $labels.instance }}',
                  |||
                    The named quota {{ $labels.name }} (table {{ $labels.family }}
                    {{ $labels.table }}) of {{ $labels.instance }} is depleted: the
                    rules that use it now take their "over" branch (usually drop)
                    until the quota is reset.
                  |||),
          u.alert(c, 'NetstackNftablesCollectorFailing',
                  'netstack_scrape_collector_success{%(sel)s,collector="nftables"} == 0',
                  'netstack_exporter cannot read the nftables ruleset on {{ $labels.instance }}',
                  |||
                    The nftables collector of {{ $labels.instance }} has failed for
                    %(for)s: the set, policy and quota alerts of this host are blind
                    (nfnetlink answers EPERM without CAP_NET_ADMIN).
                  |||),
        ],
      },
    ],
  },
}
