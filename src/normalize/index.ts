// The normalizer stage's public surface: raw kernel events -> Elastic Defend-shaped ECS events.
export { ECS_VERSION, hostFields } from './ecs-event.js';
export { decodeEntityId, entityId, startTicksFromNs } from './entity-id.js';
export { type HostInfo, HostInfoError, readHostInfo } from './host-info.js';
export { Normalizer, type NormalizerOptions, type NormalizerStats } from './normalizer.js';
export { UserDb, type UserDbOptions } from './user-db.js';
export { type ClockSource, WallClock, type WallClockOptions } from './wall-clock.js';
