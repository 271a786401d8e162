import { latencyFromLog, parseH2loadOutput } from "./h2load.js";

const OUTPUT = `starting benchmark...
spawning thread #0: 10 total client(s). Timing-based test with 1s of warm-up time and 2s of main duration for measurements.
Application protocol: h2c

finished in 3.00s, 2040.00 req/s, 167.54KB/s
requests: 4080 total, 4080 started, 4080 done, 4070 succeeded, 10 failed, 0 errored, 0 timeout
status codes: 4150 2xx, 0 3xx, 2 4xx, 0 5xx
traffic: 335.09KB (343132) total, 169.42KB (173481) headers (space savings 78.11%), 101.17KB (103600) data
                     min         max         mean         sd        +/- sd
time for request:    19.04ms    102.16ms     48.70ms     19.89ms    77.94%
`;

describe("parseH2loadOutput()", () => {
  it("reads req/s, request counts, status codes and traffic", () => {
    expect(parseH2loadOutput(OUTPUT)).toEqual({
      reqPerSec: 2040,
      requests: { total: 4080, started: 4080, done: 4080, succeeded: 4070, failed: 10, errored: 0, timeout: 0 },
      statusCodes: { "2xx": 4150, "3xx": 0, "4xx": 2, "5xx": 0 },
      traffic: { total: 343132, headers: 173481, data: 103600 },
    });
  });

  it("throws, naming the line, when the summary is missing", () => {
    expect(() => parseH2loadOutput("connect error")).toThrow(/'finished in'/);
  });
});

describe("latencyFromLog()", () => {
  it("takes percentiles over calls answered 200, in ms", () => {
    const rows = Array.from({ length: 100 }, (_, i) => `1795253850322415\t200\t${(i + 1) * 1_000}`);
    rows.push("1795253850322415\t0\t999999999"); // cut off at the end of the run
    const latency = latencyFromLog(`${rows.join("\n")}\n`);
    expect(latency).toMatchObject({ p50: 50, p90: 90, p99: 99, max: 100, samples: 100 });
    expect(latency.mean).toBeCloseTo(50.5);
  });

  it("gives NaN without samples", () => {
    expect(latencyFromLog("").p99).toBeNaN();
  });
});
