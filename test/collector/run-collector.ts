// Child process for the collector fault tests: runs a Collector, prints
// "READY <bpftracePid> <ownPid>", and on SIGTERM/SIGINT stops it and prints "STOPPED".
import pino from 'pino';
import { Collector } from '../../src/collector/index.js';

const collector = new Collector({ logger: pino({ level: 'warn' }, pino.destination(2)) });
await collector.start();
process.stdout.write(`READY ${collector.bpftracePid} ${process.pid}\n`);
const stop = async (sig: string): Promise<void> => {
  await collector.stop();
  process.stdout.write(`STOPPED ${sig}\n`);
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
setInterval(() => undefined, 1000);
