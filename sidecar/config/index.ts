// Configuration: schema, loading, strict YAML with located errors.

export type { LoadedConfig } from './load.ts';
export { ConfigError, defaultConfigPath, loadConfig } from './load.ts';
export type { AgentEntry, ApproverEntry, Config, NotifyConfig, NotifySink } from './schema.ts';
export { AgentEntrySchema, ApproverEntrySchema, ConfigSchema, NotifySinkSchema } from './schema.ts';
export type { SourceProblem, SourceResult } from './yaml-source.ts';
export { formatProblems, loadYamlFile, parseYamlText } from './yaml-source.ts';
