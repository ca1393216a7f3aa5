// A strict reader for the RFC 5424 records eqld writes, used by tests to prove a record parses back
// to exactly the fields that went in (and that nothing forged a second SD element or record).
export interface Parsed5424 {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string;
  params: [string, string][];
  msg: string;
}

export function parse5424(rec: string): Parsed5424 {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) \[/.exec(rec);
  if (!m) throw new Error(`not an RFC 5424 header: ${JSON.stringify(rec.slice(0, 80))}`);
  let i = m[0].length;
  const idEnd = rec.slice(i).search(/[ \]]/);
  const sdId = rec.slice(i, i + idEnd);
  i += idEnd;
  const params: [string, string][] = [];
  while (rec[i] === ' ') {
    const eq = rec.indexOf('="', i);
    const name = rec.slice(i + 1, eq);
    if (!/^[^= \]"]{1,32}$/.test(name)) throw new Error(`bad PARAM-NAME ${JSON.stringify(name)}`);
    i = eq + 2;
    let value = '';
    for (;;) {
      const c = rec[i];
      if (c === undefined) throw new Error('unterminated PARAM-VALUE');
      if (c === '\\' && (rec[i + 1] === '"' || rec[i + 1] === '\\' || rec[i + 1] === ']')) {
        value += rec[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        break;
      } else if (c === ']') {
        throw new Error('unescaped ] inside PARAM-VALUE');
      } else {
        value += c;
        i++;
      }
    }
    params.push([name, value]);
  }
  if (rec[i] !== ']') throw new Error(`expected ] at ${i}, got ${JSON.stringify(rec[i])}`);
  i++;
  if (rec[i] === '[') throw new Error('a second SD-ELEMENT appeared');
  const msg = rec[i] === ' ' ? rec.slice(i + 1) : '';
  return {
    pri: Number(m[1]),
    version: Number(m[2]),
    timestamp: m[3] as string,
    hostname: m[4] as string,
    appName: m[5] as string,
    procId: m[6] as string,
    msgId: m[7] as string,
    sdId,
    params,
    msg,
  };
}
