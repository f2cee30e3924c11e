// What other domains reuse from the command line: the operator-socket client. (The entry is main.ts.)
export { callOperator, errorLine, OperatorClientError } from './operator-client.ts';
