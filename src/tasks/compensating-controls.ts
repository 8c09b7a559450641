/**
 * @module The kinds of compensating control a task or a risk acceptance can record. A module of its own,
 * with no imports: the task and acceptance services import each other (through matching and risk), and
 * the schemas that name these kinds are built when a module loads, before a cycle's other modules have.
 */
export const CONTROLS = ['segmented', 'service-disabled', 'monitored', 'isolated'] as const;
export type ControlKind = (typeof CONTROLS)[number];
