import { channelStateOf, type Http2SessionState } from "./channel-state.js";

describe("channelStateOf()", () => {
  it.each<[Http2SessionState, string]>([
    ["closed", "idle"],
    ["connecting", "connecting"],
    ["verifying", "connecting"],
    ["open", "open"],
    ["idle", "open"],
    ["error", "error"],
  ])("maps connect's %s to %s", (session, channel) => {
    expect(channelStateOf(session)).toBe(channel);
  });
});
