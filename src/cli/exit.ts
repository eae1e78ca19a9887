/** Exit codes of every command: clean, findings at or above --fail-on, usage or input errors. */
export const EXIT = { clean: 0, findings: 1, error: 2 } as const;
