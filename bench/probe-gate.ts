// Bench-only: eqld's kernel probes switched off and on while eqld keeps running, so that a
// bench can alternate windows with and without eqld's telemetry every few seconds instead of
// restarting eqld (whose start and warm-up take half a minute). eqld is given a bpftrace
// "binary" (`--bpftrace`) that is this perl wrapper: it rewrites the program eqld rendered so
// that every probe body but BEGIN, END and intervals runs only while the map
// @eqld_bench_gate is 0, then execs the real bpftrace on it (same pid, same pipes, same
// environment). The bench sets the map through bpftool. With the gate closed every probe still
// runs a lookup and returns (tens of ns per firing): the "off" windows keep that much of eqld,
// so the difference they measure understates eqld's cost by it, not the other way round.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** bpftrace names a map `AT_<name>`, truncated to the kernel's 15 characters */
const GATE_MAP_KERNEL_NAME = 'AT_eqld_bench_g';

const WRAPPER_PL = String.raw`#!/usr/bin/perl
# eqld bench: every probe body behind @eqld_bench_gate (bench/probe-gate.ts), then bpftrace
use strict; use warnings;
my $real = $ENV{EQLD_BENCH_REAL_BPFTRACE} // '/usr/bin/bpftrace';
my $prog = $ARGV[0] // '';
if ($prog eq '' || $prog =~ /^-/ || ! -f $prog) { exec {$real} $real, @ARGV or die "exec $real: $!"; }
open my $in, '<', $prog or die "$prog: $!"; my $src = do { local $/; <$in> }; close $in;
my ($out, $head, $depth, $gated, $i, $n) = ('', '', 0, 0, 0, length $src);
while ($i < $n) {
  my $c = substr($src, $i, 1); my $two = substr($src, $i, 2);
  my $j;
  if ($c eq '"') {
    $j = $i + 1;
    while ($j < $n && substr($src, $j, 1) ne '"') { $j += substr($src, $j, 1) eq '\\' ? 2 : 1; }
    $j++;
  } elsif ($two eq '//') {
    $j = index($src, "\n", $i); $j = $n if $j < 0;
  } elsif ($two eq '/*') {
    $j = index($src, '*/', $i); $j = $j < 0 ? $n : $j + 2;
  }
  if (defined $j) {
    my $text = substr($src, $i, $j - $i);
    $out .= $text; $head .= $text if $depth == 0 && $c eq '"'; $i = $j; next;
  }
  if ($c eq '{') {
    if ($depth == 0) {
      if ($head =~ /(^|\s)BEGIN\s*$/) { $out .= "{ \@eqld_bench_gate = 0;"; $gated = 0; }
      elsif ($head =~ /(^|\s)END\s*$/) { $out .= "{ clear(\@eqld_bench_gate);"; $gated = 0; }
      elsif ($head =~ /(^|\s)(interval|profile):/) { $out .= '{'; $gated = 0; }
      else { $out .= '{ if (@eqld_bench_gate == 0) {'; $gated = 1; }
      $depth = 1; $i++; next;
    }
    $depth++;
  } elsif ($c eq '}') {
    $depth--;
    if ($depth == 0) { $out .= $gated ? '} }' : '}'; $head = ''; $i++; next; }
  } elsif ($depth == 0) {
    $head .= $c;
  }
  $out .= $c; $i++;
}
die "unbalanced braces in $prog\n" if $depth != 0;
my $gatedPath = "$prog.gated.bt";
open my $o, '>', $gatedPath or die "$gatedPath: $!"; print $o $out; close $o;
shift @ARGV;
exec {$real} $real, $gatedPath, @ARGV or die "exec $real: $!";
`;

/** Writes the wrapper into `dir`; pass its path to `eqld run --bpftrace`. */
export function writeProbeGateWrapper(dir: string): string {
  const path = join(dir, 'bpftrace-gated');
  writeFileSync(path, WRAPPER_PL);
  chmodSync(path, 0o755);
  return path;
}

/** bpftool sets the gates: installed from Debian's archive when missing, as auditd is
 *  (auditd-kit.ts). */
export function ensureBpftool(): void {
  if (existsSync('/usr/sbin/bpftool') || existsSync('/sbin/bpftool')) return;
  process.stdout.write('bpftool is not installed: apt-get install bpftool\n');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'bpftool'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Opens (eqld's probes run) or closes (they return at once) every gate on the host; returns
 *  how many maps it set (one per bpftrace program of the bench's eqld). */
export function setProbeGate(open: boolean): number {
  const maps = JSON.parse(execFileSync('bpftool', ['map', 'list', '-j'], { encoding: 'utf8' })) as {
    id: number;
    name?: string;
  }[];
  const zero = ['00', '00', '00', '00', '00', '00', '00', '00'];
  const value = [open ? '00' : '01', ...zero.slice(1)];
  let set = 0;
  for (const m of maps) {
    if (m.name !== GATE_MAP_KERNEL_NAME) continue;
    execFileSync('bpftool', [
      'map',
      'update',
      'id',
      String(m.id),
      'key',
      'hex',
      ...zero,
      'value',
      'hex',
      ...value,
    ]);
    set++;
  }
  return set;
}
