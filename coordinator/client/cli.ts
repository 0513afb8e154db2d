import type { Command } from 'commander';

/** Placeholder: this area's commands are registered here (see the issue that owns it). */
export function registerQueryCommands(_parent: Command): void {}
