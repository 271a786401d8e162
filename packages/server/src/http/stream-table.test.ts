import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { STREAM_TABLE_NODE, StreamTable, useStreamTable } from "./stream-table.js";

/** A small seeded PRNG (mulberry32): the random walk below is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Map's entries in ascending key order, non-stream-id keys last in insertion order. */
function sortedEntries<V>(map: Map<number, V>): [number, V][] {
  const isId = (id: number) => Number.isInteger(id) && id >= 0 && id <= 0x7fffffff;
  const ids = [...map].filter(([id]) => isId(id)).sort(([a], [b]) => a - b);
  return [...ids, ...[...map].filter(([id]) => !isId(id))];
}

describe("StreamTable", () => {
  it("answers as a Map over a long random walk of sets and deletes, with collisions and growth", () => {
    const next = random(7);
    const table = new StreamTable<string>();
    const map = new Map<number, string>();
    let newest = 1;
    for (let step = 0; step < 20_000; step++) {
      const r = next();
      // Ids as Node makes them (odd, growing), ids that share home slots (small, even and
      // odd), and keys that are not stream ids at all.
      const id =
        r < 0.35
          ? (newest += 2)
          : r < 0.7
            ? Math.floor(next() * 200)
            : r < 0.95
              ? Math.max(1, newest - 2 * Math.floor(next() * 40))
              : [-1, 1.5, 2 ** 31, Number.NaN][Math.floor(next() * 4)]!;
      const op = next();
      if (op < 0.5) {
        expect(table.set(id, `v${step}`)).toBe(table);
        map.set(id, `v${step}`);
      } else if (op < 0.9) {
        expect(table.delete(id)).toBe(map.delete(id));
      } else {
        expect(table.get(id)).toBe(map.get(id));
        expect(table.has(id)).toBe(map.has(id));
      }
      expect(table.size).toBe(map.size);
      if (step % 500 === 0) expect([...table]).toEqual(sortedEntries(map));
    }
    expect([...table.entries()]).toEqual(sortedEntries(map));
    expect([...table.keys()]).toEqual(sortedEntries(map).map(([id]) => id));
    expect([...table.values()]).toEqual(sortedEntries(map).map(([, value]) => value));
    // Every entry is still reachable from its home slot after all those deletions.
    for (const [id, value] of map) expect(table.get(id)).toBe(value);
  });

  it("keeps entries reachable when a deletion closes a probe run that wraps around the end", () => {
    const table = new StreamTable<number>();
    // Capacity 16: ids 29 and 31 have home slots 14 and 15; 61 and 63 (homes 14, 15) wrap to 0 and 1.
    for (const id of [29, 31, 61, 63]) table.set(id, id);
    table.delete(29);
    expect(table.get(31)).toBe(31);
    expect(table.get(61)).toBe(61);
    expect(table.get(63)).toBe(63);
    table.delete(31);
    expect([...table.keys()]).toEqual([61, 63]);
    expect(table.size).toBe(2);
  });

  it("keeps an entry whose probe run wraps around the end in place when an earlier one is deleted", () => {
    const table = new StreamTable<number>();
    // Capacity 16: 29 sits in its home slot 14, 63 in its home 15, and 31 (home 15) wraps to 0.
    for (const id of [29, 63, 31]) table.set(id, id);
    table.delete(29);
    expect(table.get(63)).toBe(63);
    expect(table.get(31)).toBe(31);
    expect([...table.keys()]).toEqual([31, 63]);
  });

  it("answers as a Map after every step of a dense walk over a few ids in a small table (runs collide and wrap)", () => {
    const next = random(11);
    const table = new StreamTable<number>();
    const map = new Map<number, number>();
    for (let step = 0; step < 5_000; step++) {
      const id = Math.floor(next() * 64);
      // At most 7 entries: the table keeps its first 16 slots, so probe runs reach the end and wrap.
      if (next() < 0.55 && map.size < 7) {
        table.set(id, step);
        map.set(id, step);
      } else {
        expect(table.delete(id)).toBe(map.delete(id));
      }
      for (let key = 0; key < 64; key++) expect(table.get(key)).toBe(map.get(key));
      expect(table.size).toBe(map.size);
    }
  });

  it("visits each entry once in forEach while the callback deletes entries that share slots", () => {
    const table = new StreamTable<string>();
    // Homes 14, 14, 14, 15, 15 at capacity 16: one probe run across the end; deleting any
    // of them moves others back into slots before it.
    const ids = [29, 61, 93, 31, 63];
    for (const id of ids) table.set(id, `s${id}`);
    const seen: number[] = [];
    table.forEach((value, id, self) => {
      seen.push(id);
      expect(value).toBe(`s${id}`);
      self.delete(id);
    });
    expect(seen).toEqual([...ids].sort((a, b) => a - b));
    expect(table.size).toBe(0);
  });

  it("walks with forEach as a Map does: deleted entries skipped, added ones visited, once each", () => {
    const table = new StreamTable<string>();
    for (const id of [1, 3, 5, 7]) table.set(id, `s${id}`);
    const seen: number[] = [];
    table.forEach((value, id, self) => {
      seen.push(id);
      expect(self).toBe(table);
      expect(value).toBe(`s${id}`);
      // What Node's session teardown does: destroying a stream deletes it.
      self.delete(id);
      if (id === 3) self.delete(5);
      if (id === 7) self.set(9, "s9");
    });
    expect(seen).toEqual([1, 3, 7, 9]);
    expect(table.size).toBe(0);
  });

  it("clear() empties it", () => {
    const table = new StreamTable<string>();
    for (let id = 1; id < 100; id += 2) table.set(id, "x");
    table.set(-1, "y");
    table.clear();
    expect(table.size).toBe(0);
    expect([...table]).toEqual([]);
    expect(table.get(1)).toBeUndefined();
  });
});

describe("useStreamTable()", () => {
  let server: http2.Http2Server;
  let url: string;
  const adopted: boolean[] = [];
  const sessions: http2.ServerHttp2Session[] = [];
  // Streams that the server holds open until told to answer.
  const held: http2.ServerHttp2Stream[] = [];

  beforeEach(async () => {
    adopted.length = 0;
    sessions.length = 0;
    held.length = 0;
    server = http2.createServer();
    server.on("session", (session) => {
      sessions.push(session);
      adopted.push(useStreamTable(session));
    });
    server.on("stream", (stream, headers) => {
      if (headers[":path"] === "/hold") held.push(stream);
      else stream.respond({ ":status": 200 }, { endStream: true });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const request = (client: http2.ClientHttp2Session, path: string) =>
    new Promise<number | string>((resolve) => {
      const req = client.request({ ":path": path });
      req.on("response", (headers) => resolve(headers[":status"] ?? 0));
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
      req.on("close", () => resolve(`closed with code ${req.rstCode}`));
      req.resume();
      req.end();
    });

  const waitFor = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(condition()).toBe(true);
  };

  it("replaces the stream map of every server session on a checked Node, and leaves Node's own elsewhere", async () => {
    const major = Number(process.versions.node.split(".")[0]);
    expect(STREAM_TABLE_NODE).toBe(major >= 20 && major <= 26);
    const client = http2.connect(url);
    expect(await request(client, "/a")).toBe(200);
    expect(adopted).toEqual([STREAM_TABLE_NODE]);
    if (STREAM_TABLE_NODE) expect(stateOf(sessions[0]!).streams).toBeInstanceOf(StreamTable);
    else expect(stateOf(sessions[0]!).streams).not.toBeInstanceOf(StreamTable);
    client.close();
  });

  it("leaves a session that already has streams alone", async () => {
    const client = http2.connect(url);
    const pending = request(client, "/hold");
    await waitFor(() => held.length === 1);
    const session = held[0]!.session!;
    expect(useStreamTable(session)).toBe(false);
    held[0]!.respond({ ":status": 200 }, { endStream: true });
    expect(await pending).toBe(200);
    client.close();
  });

  it("keeps Node's session behaviour: calls in flight finish after close(), and many calls in a row", async () => {
    const client = http2.connect(url);
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => request(client, `/r${i}`)));
    expect(statuses).toEqual(Array.from({ length: 300 }, () => 200));
    const pending = [request(client, "/hold"), request(client, "/hold")];
    await waitFor(() => held.length === 2);
    const session = held[0]!.session!;
    const closed = new Promise<void>((resolve) => session.close(resolve));
    // close() waits for the open streams, which Node counts through the table.
    await new Promise((r) => setTimeout(r, 50));
    expect(session.closed).toBe(true);
    expect(session.destroyed).toBe(false);
    for (const stream of held) stream.respond({ ":status": 200 }, { endStream: true });
    expect(await Promise.all(pending)).toEqual([200, 200]);
    await closed;
    expect(session.destroyed).toBe(true);
    client.close();
  });

  it("keeps Node's session behaviour: destroy() ends every open stream", async () => {
    const client = http2.connect(url);
    client.on("error", () => {});
    const pending = [request(client, "/hold"), request(client, "/hold"), request(client, "/hold")];
    await waitFor(() => held.length === 3);
    const closes = held.map((stream) => new Promise<boolean>((resolve) => stream.on("close", () => resolve(stream.destroyed))));
    held[0]!.session!.destroy();
    expect(await Promise.all(closes)).toEqual([true, true, true]);
    for (const status of await Promise.all(pending)) expect(status).not.toBe(200);
    client.destroy();
  });
});

function stateOf(session: http2.Http2Session): { streams: unknown } {
  const key = Object.getOwnPropertySymbols(session).find((k) => k.description === "state");
  const state = (session as unknown as Record<symbol, { streams: unknown } | undefined>)[key!];
  if (state === undefined) throw new Error("no session state");
  return state;
}
