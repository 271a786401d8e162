/** What a client load run needs of a client library: one call of each benchmarked shape. */
export interface ClientDriver {
  /** One SayHello call; rejects when the call fails or the reply is not the expected one. */
  sayHello(): Promise<void>;
  /** One LotsOfReplies call with `replies` replies; resolves with the number of messages received. */
  lotsOfReplies(replies: number): Promise<number>;
  /** One LotsOfGreetings call sending `count` greetings; rejects when the one reply is not the expected one. */
  lotsOfGreetings(count: number): Promise<void>;
  /**
   * One BidiHello call sending `count` greetings as fast as the stream takes them while
   * reading the replies; resolves with the number of (checked) replies received.
   */
  bidiHello(count: number): Promise<number>;
  /**
   * Opens a stream that stays open: `bidi` sends one greeting and leaves its side open;
   * `server-stream` asks LotsOfReplies for two replies 10 s apart. Resolves once the first
   * reply has arrived, with a function that ends the call (cancelling the server stream).
   */
  openStream(shape: OpenStreamShape): Promise<() => Promise<void>>;
  /** Closes the client's connection. */
  close(): void;
}

/** The kind of call {@link ClientDriver.openStream} holds open. */
export type OpenStreamShape = "bidi" | "server-stream";

/** The contract of a client module under `clients/`: a label and a factory. */
export interface ClientDriverModule {
  /** Shown in reports. */
  label: string;
  createDriver(url: string): ClientDriver;
}
