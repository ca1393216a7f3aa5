// Loads the spec tests Elasticsearch runs against its own EQL implementation
// (x-pack/plugin/eql/qa/common/src/main/resources: *.toml, test_data.json, data/*.data, *.mapping)
// from a local copy, and turns each data set into the events eqld is fed: the index mapping's
// aliases and null_value substitutions are applied, as indexing would, and the mapping plus the
// fields present in the data (dynamic mapping) form the schema a query is checked against.
// The files are not part of this repository; README.md in this folder says where they come from.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { EqlEvent } from '../../../src/eql/index.js';

export const UPSTREAM_DIR =
  process.env.EQLD_ES_EQL_RESOURCES ?? new URL('./upstream/', import.meta.url).pathname;

export interface SpecCase {
  suite: string;
  file: string;
  name: string;
  query: string;
  /** one expected id list, or several acceptable ones; -1 marks a missing-event placeholder */
  expected: number[][];
  /** flattened join keys of every result, as the spec compares them (strings, null as "null") */
  joinKeys?: string[];
  size?: number;
}

export interface DataSet {
  events: EqlEvent[];
  /** mapped fields, aliases included, plus every field with a value in the data */
  fields: Set<string>;
  ids: Set<number>;
}

export interface Suite {
  name: string;
  files: string[];
  data: DataSet;
  cases: SpecCase[];
}

type Doc = Record<string, unknown>;

interface Mapping {
  fields: Set<string>;
  aliases: Map<string, string>;
  nullValues: Map<string, unknown>;
}

function readMapping(path: string): Mapping {
  const m: Mapping = { fields: new Set(), aliases: new Map(), nullValues: new Map() };
  const walk = (props: Record<string, Doc>, prefix: string) => {
    for (const [k, spec] of Object.entries(props)) {
      const name = prefix + k;
      if (spec.properties) walk(spec.properties as Record<string, Doc>, `${name}.`);
      else m.fields.add(name);
      if (spec.type === 'alias') m.aliases.set(name, spec.path as string);
      if ('null_value' in spec) m.nullValues.set(name, spec.null_value);
      for (const sub of Object.keys((spec.fields as Doc | undefined) ?? {})) m.fields.add(`${name}.${sub}`);
    }
  };
  walk((JSON.parse(readFileSync(path, 'utf8')) as { properties: Record<string, Doc> }).properties, '');
  return m;
}

/** the data files are JSON with `//` line comments */
function readData(path: string): Doc[] {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('//'))
    .join('\n');
  return JSON.parse(text) as Doc[];
}

/** dotted paths of every non-null leaf (a null value creates no dynamic mapping) */
function valuePaths(doc: Doc, prefix: string, out: Set<string>): void {
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix + k;
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.some((x) => x !== null)) out.add(name);
    } else if (typeof v === 'object') valuePaths(v as Doc, `${name}.`, out);
    else out.add(name);
  }
}

function getPath(doc: Doc, path: string): unknown {
  if (path in doc) return doc[path];
  let o: unknown = doc;
  for (const p of path.split('.')) {
    if (typeof o !== 'object' || o === null) return undefined;
    o = (o as Doc)[p];
  }
  return o;
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = doc;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Doc;
  }
  o[parts[parts.length - 1] as string] = value;
}

/** Date field parsing of the default format strict_date_optional_time||epoch_millis. */
function parseTimestamp(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  if (/^-?\d+$/.test(s) && s.length < 5) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? Number(s) : t;
}

// DataLoader.winFileTimeToUnix: the endgame data carries Windows FILETIME in `timestamp`
const FILETIME_EPOCH_DIFF = 11644473600000;
const winFileTimeToUnix = (ft: number) => Math.trunc(ft / 10_000) - FILETIME_EPOCH_DIFF;

function loadData(dataPath: string, mappingPath: string, tiebreaker: string, endgame: boolean): DataSet {
  const mapping = readMapping(mappingPath);
  const raw = readData(dataPath);
  const fields = new Set(mapping.fields);
  const ids = new Set<number>();
  const events: EqlEvent[] = raw.map((src) => {
    const doc = structuredClone(src);
    if (endgame && typeof doc.timestamp === 'number') doc['@timestamp'] = winFileTimeToUnix(doc.timestamp);
    for (const [field, nv] of mapping.nullValues) {
      const v = getPath(doc, field);
      if (v === null) setPath(doc, field, nv);
      else if (Array.isArray(v))
        setPath(
          doc,
          field,
          v.map((x) => (x === null ? nv : x)),
        );
    }
    valuePaths(doc, '', fields);
    for (const [alias, target] of mapping.aliases) {
      const v = getPath(doc, target);
      if (v !== undefined) setPath(doc, alias, v);
    }
    const id = getPath(doc, tiebreaker) as number;
    ids.add(id);
    return { doc, timestamp: parseTimestamp(doc['@timestamp']), sequence: id };
  });
  events.sort((a, b) => a.timestamp - b.timestamp || a.sequence - b.sequence);
  return { events, fields, ids };
}

/** TOML as the spec loader reads it: `null` is accepted inside join_keys arrays */
function readSpecs(suite: string, file: string): SpecCase[] {
  const text = readFileSync(join(UPSTREAM_DIR, file), 'utf8').replace(
    /([[,]\s*)null(?=\s*[,\]])/g,
    '$1"null"',
  );
  const toml = parseToml(text) as { queries: Doc[] };
  return toml.queries.map((q) => {
    const ids = q.expected_event_ids as unknown[];
    const expected = ids.length > 0 && Array.isArray(ids[0]) ? (ids as number[][]) : [ids as number[]];
    const c: SpecCase = { suite, file, name: String(q.name), query: String(q.query), expected };
    if (Array.isArray(q.join_keys)) c.joinKeys = (q.join_keys as unknown[]).map(String);
    if (typeof q.size === 'number') c.size = q.size;
    return c;
  });
}

// the endgame data set is test_data.json + mapping-default.json in older trees,
// data/endgame-140.data + data/endgame-140.mapping in newer ones
const ENDGAME = existsSync(join(UPSTREAM_DIR, 'data/endgame-140.data'))
  ? { data: 'data/endgame-140.data', mapping: 'data/endgame-140.mapping' }
  : { data: 'test_data.json', mapping: 'mapping-default.json' };

const SUITES = [
  {
    name: 'endgame',
    files: ['test_queries.toml', 'additional_test_queries.toml'],
    ...ENDGAME,
    tiebreaker: 'serial_event_id',
    endgame: true,
  },
  {
    name: 'extra',
    files: ['test_extra.toml'],
    data: 'data/extra.data',
    mapping: 'data/extra.mapping',
    tiebreaker: 'sequence',
    endgame: false,
  },
  {
    name: 'missing-events',
    files: ['test_missing_events.toml'],
    data: 'data/missing-events.data',
    mapping: 'data/missing-events.mapping',
    tiebreaker: 'sequence',
    endgame: false,
  },
] as const;

/** the upstream files this harness needs that are absent from UPSTREAM_DIR */
export function missingUpstreamFiles(): string[] {
  return SUITES.flatMap((s) => [...s.files, s.data, s.mapping]).filter(
    (f) => !existsSync(join(UPSTREAM_DIR, f)),
  );
}

export function loadSuites(): Suite[] {
  return SUITES.map((s) => ({
    name: s.name,
    files: [...s.files],
    data: loadData(join(UPSTREAM_DIR, s.data), join(UPSTREAM_DIR, s.mapping), s.tiebreaker, s.endgame),
    cases: s.files.flatMap((f) => readSpecs(s.name, f)),
  }));
}
