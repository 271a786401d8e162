import { type ContextValues, createContextKey, createContextValues } from "@connectrpc/connect";
import { CallContextValues, createCallContextValues } from "./call-context-values.js";

describe("createCallContextValues", () => {
  const withDefault = createContextKey("default", { description: "with default" });
  const withoutDefault = createContextKey<number | undefined>(undefined);
  const sharingName = createContextKey("other default", { description: "with default" });

  /** Runs the same steps on connect's values and ours and returns what each read. */
  function both(steps: (values: ContextValues) => unknown[]): [unknown[], unknown[]] {
    return [steps(createContextValues()), steps(createCallContextValues())];
  }

  it("reads a key never set as its default, and a set key as its value", () => {
    const [connect, ours] = both((values) => [
      values.get(withDefault),
      values.get(withoutDefault),
      values.set(withDefault, "set").get(withDefault),
      values.get(sharingName),
    ]);
    expect(ours).toEqual(["default", undefined, "set", "other default"]);
    expect(ours).toEqual(connect);
  });

  it("reads a key set to undefined as undefined, not as its default", () => {
    const [connect, ours] = both((values) => [values.set(withDefault, undefined as unknown as string).get(withDefault)]);
    expect(ours).toEqual([undefined]);
    expect(ours).toEqual(connect);
  });

  it("returns to the default after delete, and chains set and delete", () => {
    const [connect, ours] = both((values) => {
      const chained = values.set(withDefault, "a").set(withoutDefault, 1).delete(withDefault);
      return [chained === values, values.get(withDefault), values.get(withoutDefault), values.delete(withoutDefault).get(withoutDefault)];
    });
    expect(ours).toEqual([true, "default", 1, undefined]);
    expect(ours).toEqual(connect);
  });

  it("keeps values apart per object, and its methods on the prototype (no closures per object)", () => {
    const a = createCallContextValues().set(withDefault, "a");
    const b = createCallContextValues();
    expect([a.get(withDefault), b.get(withDefault)]).toEqual(["a", "default"]);
    expect(a).toBeInstanceOf(CallContextValues);
    expect(Object.keys(a)).toEqual([]);
    expect(a.get).toBe(b.get);
  });
});
