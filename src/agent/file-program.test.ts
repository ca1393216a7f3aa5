import { describe, expect, it } from 'vitest';
import type { KindDocument } from '../normalize/ecs-event.js';
import { FILE_KIND_DOCUMENTS, fileProgramDecision } from './file-program.js';

const actionOf = (k: KindDocument) => (k.event as { action: string }).action;

describe('whether eqld run starts the file program', () => {
  it('asks about the three kinds of file event, as the normalizer makes them', () => {
    expect(FILE_KIND_DOCUMENTS.map(actionOf)).toEqual(['creation', 'rename', 'deletion']);
    for (const k of FILE_KIND_DOCUMENTS)
      expect(k.data_stream).toEqual({ type: 'logs', dataset: 'endpoint.events.file', namespace: 'default' });
  });

  it('starts it when a rule takes any kind of file event', () => {
    expect(fileProgramDecision(true, false, (k) => actionOf(k) === 'deletion')).toEqual({
      run: true,
      because: 'rules',
    });
  });

  it('does not start it when no rule takes file events and no events file is written', () => {
    expect(fileProgramDecision(true, false, () => false)).toEqual({
      run: false,
      because: 'no rule takes file events',
    });
  });

  it('starts it for an events file, whatever the rules take', () => {
    expect(fileProgramDecision(true, true, () => false)).toEqual({ run: true, because: 'events file' });
  });

  it('never starts it when file events are turned off', () => {
    expect(fileProgramDecision(false, true, () => true)).toEqual({ run: false, because: 'turned off' });
  });
});
