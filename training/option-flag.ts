/** The command-line flag of a training option: its name in kebab case (`maxRows` → `--max-rows`). */
export function optionFlag(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
