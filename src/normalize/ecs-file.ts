// The `file.*` object of a file event (Elastic Defend's endpoint.events.file data stream, Linux):
// file.path, file.name, file.extension, file.directory and, for a rename, the name the file had
// before in file.Ext.original.{path,name,extension}. Pure.
//
// Sources: elastic/endpoint-package package/endpoint/data_stream/file/fields/fields.yml (types,
// file.Ext.original: "Original file ... prior to a modification event"), ECS file.extension
// ("excluding the leading dot ... only the last one": "gz", not "tar.gz"), and real Defend 8.15
// Linux events (a name whose only dot is its first character, ".#8:5203253Z9Q47q", has no
// file.extension). docs/ecs-mapping.md lists what eqld adds or leaves out.

type Doc = Record<string, unknown>;

export interface FileParts {
  name: string;
  /** the text after the last dot, when there is one that is not the name's first character */
  extension: string | undefined;
  directory: string;
}

/** Name, extension and directory of an absolute (or "."-prefixed, cut) path. */
export function fileParts(path: string): FileParts {
  const slash = path.lastIndexOf('/');
  const name = slash < 0 ? path : path.slice(slash + 1);
  const directory = slash <= 0 ? (slash === 0 ? '/' : '.') : path.slice(0, slash);
  const dot = name.lastIndexOf('.');
  // no extension for ".bashrc", "name." (nothing after the dot) or a name without a dot
  const extension = dot > 0 && dot < name.length - 1 ? name.slice(dot + 1) : undefined;
  return { name, extension, directory };
}

/** file.* of an event on `path`; `oldPath`: a rename's path before (file.Ext.original);
 *  `bytesEscaped`: the paths are in the collector's byte-escaped form (file.Ext.bytes_escaped). */
export function fileFields(path: string, oldPath?: string, bytesEscaped = false): Doc {
  const p = fileParts(path);
  const d: Doc = { path, name: p.name };
  if (p.extension !== undefined) d.extension = p.extension;
  d.directory = p.directory;
  if (oldPath !== undefined) {
    const o = fileParts(oldPath);
    const original: Doc = { path: oldPath, name: o.name };
    if (o.extension !== undefined) original.extension = o.extension;
    d.Ext = { original };
  }
  if (bytesEscaped) d.Ext = { ...(d.Ext as Doc | undefined), bytes_escaped: true };
  return d;
}
