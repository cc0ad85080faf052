import { JournalLog, type JournalEntry } from '../../journal/journal.js'
import type { PgRegistryBackend } from './backend.js'

/**
 * The release journal of one model in the shared registry (table mlci_release_journal, schema
 * 3). Each entry is one INSERT, committed before the step it announces starts, so a runner
 * killed at any point leaves whole entries only; `seq` keeps the order of every runner's writes.
 */
export class PgJournal extends JournalLog {
  readonly location: string

  constructor(private readonly backend: PgRegistryBackend, owner: { runId: string; pid?: number }) {
    super(owner)
    this.location = `${backend.location}: release journal`
  }

  protected async write(entry: JournalEntry): Promise<void> {
    await this.backend.journalAppend(entry)
  }

  read(): Promise<JournalEntry[]> {
    return this.backend.journalEntries() as Promise<JournalEntry[]>
  }
}
