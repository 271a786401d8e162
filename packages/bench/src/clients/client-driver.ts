/** What a client load run needs of a client library: one call of each benchmarked shape. */
export interface ClientDriver {
  /** One SayHello call; rejects when the call fails or the reply is not the expected one. */
  sayHello(): Promise<void>;
  /** One LotsOfReplies call with `replies` replies; resolves with the number of messages received. */
  lotsOfReplies(replies: number): Promise<number>;
  /** Closes the client's connection. */
  close(): void;
}

/** The contract of a client module under `clients/`: a label and a factory. */
export interface ClientDriverModule {
  /** Shown in reports. */
  label: string;
  createDriver(url: string): ClientDriver;
}
