// Decides whether eqld's telemetry can ever satisfy a rule: eqld collects process
// exec/fork/end/session_id_change, network connection_attempted and file creation/rename/deletion.
// A rule is inactive when some step needs another event category (library, registry, ...) or
// names only event.action values eqld never produces (uid_change, lookup_requested, ...), or
// reads DNS fields.
// Heuristic, like the analysis in shared/data: it scans the query's tokens per step and counts an
// `event.action ==/in/:/like` value as required unless directly negated; it does not evaluate
// boolean structure (a negated parenthesised group can be over-counted).

export const COLLECTED: Readonly<Record<string, ReadonlySet<string>>> = {
  process: new Set(['exec', 'fork', 'end', 'session_id_change']),
  network: new Set(['connection_attempted']),
  file: new Set(['creation', 'rename', 'deletion']),
};

type Tok = { t: 'str' | 'word' | 'punct'; v: string };

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (q.startsWith('//', i)) {
      const nl = q.indexOf('\n', i);
      i = nl < 0 ? q.length : nl;
      continue;
    }
    if (q.startsWith('/*', i)) {
      const e = q.indexOf('*/', i + 2);
      i = e < 0 ? q.length : e + 2;
      continue;
    }
    if (q.startsWith('"""', i)) {
      const e = q.indexOf('"""', i + 3);
      out.push({ t: 'str', v: q.slice(i + 3, e < 0 ? q.length : e) });
      i = e < 0 ? q.length : e + 3;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < q.length && q[j] !== c) {
        if (q[j] === '\\' && j + 1 < q.length) {
          s += q[j + 1];
          j += 2;
        } else {
          s += q[j];
          j++;
        }
      }
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const m = /^[?A-Za-z_@][\w.@~-]*/.exec(q.slice(i, i + 200));
    if (m) {
      out.push({ t: 'word', v: m[0].replace(/^\?/, '') });
      i += m[0].length;
      continue;
    }
    const two = q.slice(i, i + 2);
    if (['==', '!=', '<=', '>='].includes(two)) {
      out.push({ t: 'punct', v: two });
      i += 2;
      continue;
    }
    out.push({ t: 'punct', v: c });
    i++;
  }
  return out;
}

interface Step {
  category: string;
  actions: Set<string>;
  readsDns: boolean;
}

const POSITIVE_OPS = new Set(['==', ':', 'in', 'in~', 'like', 'like~']);

function analyseStep(toks: Tok[]): Step {
  const category = (toks[0]?.v ?? 'any').toLowerCase();
  const actions = new Set<string>();
  let readsDns = false;
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k] as Tok;
    if (tok.t === 'word' && tok.v.startsWith('dns.')) readsDns = true;
    if (tok.t !== 'word' || tok.v !== 'event.action') continue;
    const op = toks[k + 1];
    if (!op || !POSITIVE_OPS.has(op.v) || toks[k - 1]?.v === 'not') continue;
    if (toks[k + 2]?.v === '(') {
      for (let j = k + 3; j < toks.length && toks[j]?.v !== ')'; j++) {
        const x = toks[j] as Tok;
        if (x.t === 'str') actions.add(x.v);
      }
    } else if (toks[k + 2]?.t === 'str') {
      actions.add((toks[k + 2] as Tok).v);
    }
  }
  return { category, actions, readsDns };
}

/** Splits a query into its steps: the bracketed parts of a sequence/sample, or the whole query. */
function steps(query: string): Tok[][] {
  const toks = tokenize(query);
  const first = toks[0]?.v.toLowerCase();
  if (first !== 'sequence' && first !== 'sample') return [toks];
  const out: Tok[][] = [];
  let depth = 0;
  let cur: Tok[] = [];
  for (const tok of toks) {
    if (tok.t === 'punct' && tok.v === '[') {
      if (depth++ === 0) {
        cur = [];
        continue;
      }
    }
    if (tok.t === 'punct' && tok.v === ']') {
      if (--depth === 0) {
        out.push(cur);
        continue;
      }
    }
    if (depth > 0) cur.push(tok);
  }
  return out;
}

/** The event kinds a rule needs that eqld does not collect; empty when eqld can evaluate it. */
export function missingEventKinds(query: string): string[] {
  const needs = new Set<string>();
  for (const toks of steps(query)) {
    const s = analyseStep(toks);
    const collected = COLLECTED[s.category];
    if (s.category === 'any') continue;
    if (!collected) {
      needs.add(`${s.category} events`);
      continue;
    }
    if (s.readsDns) needs.add('DNS events');
    if (s.actions.size > 0 && ![...s.actions].some((a) => collected.has(a))) {
      needs.add(`${s.category} ${[...s.actions].sort().join('/')} events`);
    }
  }
  return [...needs];
}
