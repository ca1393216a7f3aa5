// The boundary between alert building (src/alerts/alert*.ts) and delivery (src/alerts/sinks/):
// one finished alert as every sink receives it. Sinks format it; they never re-derive facts.

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface AlertRecord {
  /** stable id: the same alert re-sent after a reconnect or from the spool carries the same id */
  id: string;
  /** 'alert' for a detection, 'suppressed' for the follow-up record that counts suppressed duplicates,
   *  'health' for agent-raised alerts (e.g. telemetry loss) */
  type: 'alert' | 'suppressed' | 'health';
  /** ISO-8601 time the alert was raised */
  timestamp: string;
  rule: {
    id: string;
    uuid: string;
    name: string;
    severity: Severity;
    riskScore: number;
    /** short code (<= 32 printable ASCII chars) for syslog MSGID */
    code: string;
    buildingBlock: boolean;
  };
  /** one-line human summary naming the key facts of every matched event */
  summary: string;
  /** process.entity_id of each matched event, in stage order */
  entityIds: string[];
  /** for type 'suppressed': how many duplicates were held back in the window */
  suppressedCount?: number;
  /** set by tuning: syslog sinks skip this record (building-block rules, by default); file and
   *  stdout sinks still write it */
  skipSyslog?: boolean;
  /** the full ECS alert document (what the NDJSON file sink writes) */
  document: Record<string, unknown>;
}

export interface AlertSink {
  readonly name: string;
  /** resolves once the record is handed to the destination (or durably spooled) */
  write(alert: AlertRecord): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
