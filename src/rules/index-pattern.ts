// Which events a rule sees: Elastic rules name index patterns (`logs-endpoint.events.process*`,
// `logs-endpoint.events.*`), and an event belongs to one data stream
// (`<type>-<dataset>-<namespace>`, Elastic data stream naming scheme). eqld maps each ECS event to
// that name and matches it against the rule's patterns. It does not model Elasticsearch aliases,
// `-exclusions` or cross-cluster patterns.
import { getField } from './field.js';

/** Endpoint datasets by ECS event.category (Elastic Defend writes logs-endpoint.events.<cat>-<ns>). */
const DATASET_BY_CATEGORY: Readonly<Record<string, string>> = {
  process: 'endpoint.events.process',
  network: 'endpoint.events.network',
  file: 'endpoint.events.file',
  library: 'endpoint.events.library',
  registry: 'endpoint.events.registry',
  api: 'endpoint.events.api',
  authentication: 'endpoint.events.security',
  session: 'endpoint.events.security',
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * The data stream name an event would be stored in, e.g. `logs-endpoint.events.process-default`.
 * Order: an exported `_index` (backing index `.ds-<stream>-<date>-<gen>` reduced to the stream),
 * then `data_stream.*`, then Elastic Defend's dataset for the first known `event.category`.
 */
export function eventIndexName(doc: Record<string, unknown>): string | undefined {
  const idx = str(doc._index);
  if (idx) return idx.replace(/^\.ds-/, '').replace(/-\d{4}\.\d{2}\.\d{2}-\d+$/, '');
  const ns = str(getField(doc, 'data_stream.namespace')) ?? 'default';
  const dataset = str(getField(doc, 'data_stream.dataset'));
  if (dataset) return `${str(getField(doc, 'data_stream.type')) ?? 'logs'}-${dataset}-${ns}`;
  const cat = getField(doc, 'event.category');
  const cats = Array.isArray(cat) ? cat : [cat];
  for (const c of cats) {
    const ds = typeof c === 'string' ? DATASET_BY_CATEGORY[c] : undefined;
    if (ds) return `logs-${ds}-${ns}`;
  }
  return undefined;
}

const patternCache = new Map<string, RegExp>();

/** Elasticsearch index pattern match: `*` is any run of characters, everything else literal. */
export function indexPatternMatches(pattern: string, indexName: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    if (patternCache.size < 10_000) patternCache.set(pattern, re);
  }
  return re.test(indexName);
}

/** true when any of the rule's patterns covers the event's data stream */
export function ruleSeesIndex(patterns: readonly string[], indexName: string | undefined): boolean {
  if (indexName === undefined) return false;
  return patterns.some((p) => indexPatternMatches(p, indexName));
}
