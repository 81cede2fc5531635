// The offline planner as a Reasoner: first step plans (asking for get_scene first when the message
// refers to existing objects), the next step plans with the scene, the last one writes the reply
// from what the calls did. Deterministic, so re-planning the same input gives the same plan.
import type { Reasoner, ReasonerDecision, ReasonerInput } from "../reasoner.ts";
import type { Scene } from "../scene.ts";
import type { ToolCallRecord } from "../turn-records.ts";
import { type PlannedToolCall, type PlanResult, planInstructions } from "./planner.ts";

/** The id prefix of the planner's own get_scene call. */
const SCENE_CALL_ID = "planner-scene";

function planFor(input: ReasonerInput): { plan: PlanResult; sceneRecord: ToolCallRecord | undefined } {
  const first = input.steps[0]?.toolCalls[0];
  const sceneRecord = first?.id === SCENE_CALL_ID ? first : undefined;
  const focus = input.context.focus;
  const images = input.context.artifacts
    .filter((artifact) => artifact.id !== undefined && /^image\/(?:png|jpeg)$/.test(artifact.mimeType))
    .map((artifact) => artifact.id!);
  if (sceneRecord?.result !== undefined) {
    return { plan: planInstructions(input.text, { scene: sceneRecord.result as Scene, focus, images }), sceneRecord };
  }
  return {
    plan: planInstructions(input.text, { ...(input.context.scene ? { lastSeenScene: input.context.scene } : {}), focus, images }),
    sceneRecord,
  };
}

function resultLine(call: PlannedToolCall, record: ToolCallRecord): string {
  if (record.error) {
    if (record.error.code === "skipped") return `Not done (an earlier step failed): ${call.summary}`;
    return `Failed: ${call.summary.replace(/\.$/, "")}: ${record.error.message}`;
  }
  const result = record.result as Record<string, unknown> | undefined;
  const artifact = result?.artifact as { url?: unknown } | undefined;
  if (call.name === "render_frame" && result) {
    const seconds = typeof result.renderMs === "number" ? ` in ${(result.renderMs / 1000).toFixed(1)} s` : "";
    return `Rendered ${result.width}×${result.height} with ${result.engine}${seconds}: ${String(artifact?.url ?? "")}`.trim();
  }
  if ((call.name === "export_glb" || call.name === "export_scene") && typeof artifact?.url === "string") {
    return `${call.summary.replace(/\.$/, "")}: ${artifact.url}`;
  }
  return call.summary;
}

function reply(plan: Extract<PlanResult, { kind: "plan" }>, records: readonly ToolCallRecord[]): string {
  const lines: string[] = [];
  plan.calls.forEach((call, index) => {
    const record = records[index];
    lines.push(record ? resultLine(call, record) : `Not done: ${call.summary}`);
  });
  const failed = records.some((record) => record.error);
  const applied = records.filter((record) => !record.error).length;
  const unanswered = records.some((record) => record.error && /^(?:timeout|protocol|cancelled)$/.test(record.error.code));
  if (failed) lines.push(applied > 0 ? "The steps before the failure were applied." : "Nothing else was changed.");
  if (unanswered)
    lines.push('No answer came for the failed step, so it may still have taken effect; ask "what is in the scene?" to check.');
  lines.push(...plan.notes);
  return lines.join("\n");
}

export function createPlannerReasoner(): Reasoner {
  return {
    name: "planner",
    async decide(input): Promise<ReasonerDecision> {
      const { plan, sceneRecord } = planFor(input);
      if (sceneRecord?.error) {
        return { text: `I could not look at the scene, so I did nothing: ${sceneRecord.error.message}`, toolCalls: [] };
      }
      const executed = input.steps.filter((step) => step.toolCalls[0]?.id !== SCENE_CALL_ID);
      switch (plan.kind) {
        case "refusal":
          return { text: plan.text, toolCalls: [] };
        case "needs-scene":
          if (sceneRecord) return { text: "I could not work out which objects the message refers to, so I did nothing.", toolCalls: [] };
          return { text: "Looking at the scene first.", toolCalls: [{ id: SCENE_CALL_ID, name: "get_scene", arguments: { limit: 500 } }] };
        case "plan": {
          if (plan.calls.length === 0) return { text: plan.notes.join("\n") || "There is nothing to do.", toolCalls: [] };
          const done = executed[0];
          if (done) return { text: reply(plan, done.toolCalls), toolCalls: [] };
          return {
            text: plan.calls.map((call) => call.summary).join("\n"),
            toolCalls: plan.calls.map((call, index) => ({ id: `planner-${index}`, name: call.name, arguments: call.arguments })),
          };
        }
      }
    },
  };
}
