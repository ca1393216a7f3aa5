// process.Ext.load_module of a load_module event (endpoint-package linux_process_load_module:
// name, version, src_version, taints, taint_flags; the sample has taints 12288 and taint_flags
// "OE"). The module_load tracepoint gives the name and the taint bits, not the version strings.
// Pure.
import type { ModuleEvent } from '../collector/raw-event.js';

/**
 * The letters the kernel prints for a module's taint bits (kernel/panic.c taint_flags, the
 * entries marked `module`; module_flags_taint in kernel/module/main.c), in bit order.
 */
const MODULE_TAINT_LETTERS: readonly (readonly [number, string])[] = [
  [0, 'P'], // TAINT_PROPRIETARY_MODULE
  [12, 'O'], // TAINT_OOT_MODULE
  [13, 'E'], // TAINT_UNSIGNED_MODULE
  [15, 'K'], // TAINT_LIVEPATCH
  [16, 'X'], // TAINT_AUX
  [18, 'N'], // TAINT_TEST
];

/** The taint letters of a module's taint bits, e.g. 12288 -> "OE"; "" when none is set. */
export function moduleTaintFlags(taints: number): string {
  let out = '';
  for (const [bit, letter] of MODULE_TAINT_LETTERS) if ((taints >>> bit) & 1) out += letter;
  return out;
}

/** process.Ext.load_module; taint_flags only when some taint bit is set (the rule
 *  "Kernel Module Loaded with Tainting Flags" tests `taint_flags != null`) */
export function loadModuleFields(r: ModuleEvent): Record<string, unknown> {
  const flags = moduleTaintFlags(r.taints);
  return flags === ''
    ? { name: r.name, taints: r.taints }
    : { name: r.name, taints: r.taints, taint_flags: flags };
}
