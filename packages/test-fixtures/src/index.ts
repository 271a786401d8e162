/**
 * `@hello/test-fixtures` (private): a stateful service from a test-only proto, compiled at
 * run time, that the platform's tests register like an application's own service.
 *
 * @example
 * const { notesService } = loadFixtureSchema();
 * const server = createServer({ routes: (r) => r.service(notesService, createNotesService(notesService, createNoteStore())) });
 *
 * @packageDocumentation
 */
export { type FixtureSchema, loadFixtureSchema } from "./load-fixture-schema.js";
export { createNoteStore, createNotesService, NOTE_COUNT_TRAILER, type NoteStore, type StoredNote } from "./create-notes-service.js";
