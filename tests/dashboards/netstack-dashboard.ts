// The type every generated dashboard must have (tests/dashboards/check_schema.py):
// @grafana/schema's Dashboard, with each panel's options and custom field
// config typed by its panel plugin's schema (timeseries, stat, table) and
// each query as Grafana's Prometheus data source defines it. Object
// literals are checked for excess properties: a field Grafana's schema
// does not know fails. Enums are compared by value (the JSON has strings).
import type { Dashboard, Panel, RowPanel, AnnotationQuery, DataQuery, VariableModel } from '@grafana/schema';
import type * as TimeSeries from '@grafana/schema/dist/types/raw/composable/timeseries/panelcfg/x/types.gen';
import type * as Stat from '@grafana/schema/dist/types/raw/composable/stat/panelcfg/x/types.gen';
import type * as Table from '@grafana/schema/dist/types/raw/composable/table/panelcfg/x/types.gen';

export type Loose<T> = T extends string ? `${T}`
  : T extends Array<infer U> ? Array<Loose<U>>
  : T extends object ? { [K in keyof T]: Loose<T[K]> }
  : T;

// Grafana's Prometheus query (public/app/plugins/datasource/prometheus dataquery).
export interface PromQuery extends DataQuery {
  expr: string;
  instant?: boolean;
  range?: boolean;
  exemplar?: boolean;
  editorMode?: 'code' | 'builder';
  format?: 'time_series' | 'table' | 'heatmap';
  legendFormat?: string;
  intervalFactor?: number;
  interval?: string;
}

type Typed<K extends string, O, F> =
  Omit<Panel<O, F>, 'type' | 'targets' | 'options'> & { type: K; options?: O; targets?: PromQuery[] };

export type NetstackPanel =
  | Typed<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | Typed<'stat', Stat.Options, Record<string, never>>
  | Typed<'table', Table.Options, Table.FieldConfig>
  | RowPanel;

export type NetstackDashboard = Loose<Omit<Dashboard, 'panels' | 'annotations' | 'templating'> & {
  panels?: NetstackPanel[];
  annotations?: { list?: AnnotationQuery<PromQuery>[] };
  templating?: { list?: VariableModel[] };
}>;
