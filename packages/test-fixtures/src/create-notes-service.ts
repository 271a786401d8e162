import { create, type DescMessage, type DescService, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/** A note as the store keeps it. */
export interface StoredNote {
  id: string;
  text: string;
}

/** The notes service's dependency: a plain in-memory store, injected. */
export interface NoteStore {
  /** Stores a note and returns it with its new id. */
  add(text: string): StoredNote;
  /** The note with this id, if any. */
  get(id: string): StoredNote | undefined;
  /** Every note, oldest first. */
  list(): StoredNote[];
}

/** Creates an empty store; ids are "n1", "n2", … */
export function createNoteStore(): NoteStore {
  const notes: StoredNote[] = [];
  return {
    add(text) {
      const note = { id: `n${notes.length + 1}`, text };
      notes.push(note);
      return note;
    },
    get: (id) => notes.find((note) => note.id === id),
    list: () => [...notes],
  };
}

/** Trailer each NotesService response carries: how many notes the store holds after the call. */
export const NOTE_COUNT_TRAILER = "x-note-count";

type Fields = Record<string, unknown>;

/**
 * The handlers of `fixture.v1.NotesService` (from {@link loadFixtureSchema}) on a store: a
 * plain object of methods, as an application writes one with its generated types, here on
 * runtime descriptors. Register it with `router.service(notesService, createNotesService(…))`.
 */
export function createNotesService(service: DescService, store: NoteStore) {
  const output = (method: string): DescMessage => {
    const found = service.methods.find((m) => m.localName === method);
    if (found === undefined) throw new Error(`${service.typeName} has no method ${method}`);
    return found.output;
  };
  const note = (stored: StoredNote): Message => create(output("getNote"), stored as never);
  const counted = (ctx: HandlerContext) => ctx.responseTrailer.set(NOTE_COUNT_TRAILER, String(store.list().length));
  const textOf = (req: Message) => String((req as unknown as Fields)["text"]);
  return {
    createNote(req: Message, ctx: HandlerContext) {
      const stored = store.add(textOf(req));
      counted(ctx);
      return note(stored);
    },
    getNote(req: Message, ctx: HandlerContext) {
      const id = String((req as unknown as Fields)["id"]);
      const stored = store.get(id);
      if (stored === undefined) throw new ConnectError(`note ${id} not found`, Code.NotFound);
      counted(ctx);
      return note(stored);
    },
    async *listNotes(_req: Message, ctx: HandlerContext) {
      for (const stored of store.list()) yield note(stored);
      counted(ctx);
    },
    async addNotes(reqs: AsyncIterable<Message>, ctx: HandlerContext) {
      let count = 0;
      for await (const req of reqs) {
        store.add(textOf(req));
        count++;
      }
      counted(ctx);
      return create(output("addNotes"), { count } as never);
    },
    async *syncNotes(reqs: AsyncIterable<Message>, ctx: HandlerContext) {
      for await (const req of reqs) yield note(store.add(textOf(req)));
      counted(ctx);
    },
  };
}
