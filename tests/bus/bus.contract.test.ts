import { afterAll, describe, expect, test } from "bun:test";
import type { Bus, RouteHint } from "../../services/bus/bus.ts";
import { inProcessBus } from "../../services/bus/in-process-bus.ts";
import { natsBus } from "../../services/bus/nats-bus.ts";
import { eventually } from "../support/eventually.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";

type BusFactory = { name: string; pair(): Promise<{ a: Bus; b: Bus }>; isolated(): Promise<{ a: Bus; b: Bus }> };

const opened: Bus[] = [];
const track = (bus: Bus) => (opened.push(bus), bus);
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

async function connectedNats(prefix: string, name: string): Promise<Bus> {
  const bus = track(natsBus({ url: TEST_NATS_URL, prefix, name }));
  await eventually(async () => bus.connected(), Boolean, 5000);
  return bus;
}

const FACTORIES: BusFactory[] = [
  {
    name: "in-process",
    async pair() {
      const bus = track(inProcessBus());
      return { a: bus, b: bus };
    },
    async isolated() {
      return { a: track(inProcessBus()), b: track(inProcessBus()) };
    },
  },
  {
    name: "nats",
    async pair() {
      await natsAvailable();
      const prefix = `ssomig-test-${crypto.randomUUID().slice(0, 8)}`;
      return { a: await connectedNats(prefix, "publisher"), b: await connectedNats(prefix, "subscriber") };
    },
    async isolated() {
      await natsAvailable();
      return { a: await connectedNats(`ssomig-test-${crypto.randomUUID().slice(0, 8)}`, "a"), b: await connectedNats(`ssomig-test-${crypto.randomUUID().slice(0, 8)}`, "b") };
    },
  },
];

/** Publishes until the subscriber has seen `count` hints, bounded: NATS subscriptions register asynchronously. */
async function received(from: Bus, to: Bus, hints: RouteHint[]): Promise<RouteHint[]> {
  const seen: RouteHint[] = [];
  const stop = to.subscribe((hint) => seen.push(hint));
  try {
    for (const hint of hints) await from.publish(hint);
    await eventually(async () => seen.length, (n) => n >= hints.length, 3000);
    return seen;
  } finally {
    stop();
  }
}

for (const factory of FACTORIES) {
  describe(`bus contract: ${factory.name}`, () => {
    test("delivers each published hint to a subscriber, in order", async () => {
      const { a, b } = await factory.pair();
      const hints = [1, 2, 3].map((position) => ({ orgId: `org-${position}`, position }));
      expect(await received(a, b, hints)).toEqual(hints);
    });

    test("delivers to every subscriber", async () => {
      const { a, b } = await factory.pair();
      const first: RouteHint[] = [];
      const stop = b.subscribe((hint) => first.push(hint));
      const second = await received(a, b, [{ orgId: "acme", position: 42 }]);
      await eventually(async () => first.length, (n) => n >= 1, 3000);
      stop();
      expect(first).toEqual([{ orgId: "acme", position: 42 }]);
      expect(second).toEqual([{ orgId: "acme", position: 42 }]);
    });

    test("an unsubscribed handler gets nothing more", async () => {
      const { a, b } = await factory.pair();
      const late: RouteHint[] = [];
      const stop = b.subscribe((hint) => late.push(hint));
      stop();
      await received(a, b, [{ orgId: "x", position: 7 }]);
      expect(late).toEqual([]);
    });

    test("buses with different prefixes (or processes) do not see each other's hints", async () => {
      const { a, b } = await factory.isolated();
      const strays: RouteHint[] = [];
      b.subscribe((hint) => strays.push(hint));
      await received(a, a, [{ orgId: "mine", position: 1 }]);
      expect(strays).toEqual([]);
    });

    test("reports itself connected, and refuses to publish once closed", async () => {
      const { a } = await factory.isolated();
      expect(a.connected()).toBe(true);
      expect(a.kind).toBe(factory.name as Bus["kind"]);
      await a.close();
      expect(a.connected()).toBe(false);
      await expect(a.publish({ orgId: "late", position: 1 })).rejects.toMatchObject({ code: "bus_unavailable" });
    });
  });
}
