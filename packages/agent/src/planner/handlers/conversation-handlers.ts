// Handlers that only answer: help, greetings and thanks, and a description of the scene.
import { capabilitiesText } from "../capabilities.ts";
import { describeScene } from "../descriptions.ts";
import type { Handler } from "../plan-state.ts";
import { SceneNeeded } from "../world.ts";

export const handleHelp: Handler = (clause, state) => {
  if (
    !/^(?:help|\?|what can you do|what do you do|what can i do|what are you|how does (?:this|it) work|what (?:commands|tools)|commands|options)\b/.test(
      clause.text,
    )
  )
    return false;
  state.notes.push(capabilitiesText());
  return true;
};

export const handleGreeting: Handler = (clause, state) => {
  if (
    !/^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks|thank you|cheers|ok|okay|great|nice|cool|awesome|perfect)(?: there| you| so much| a lot)?$/.test(
      clause.text,
    )
  )
    return false;
  state.notes.push(
    /thank|cheers/.test(clause.text)
      ? "You're welcome."
      : 'Hello! Tell me what to build, e.g. "add a red cube and render the scene", or ask "what can you do?".',
  );
  return true;
};

export const handleDescribe: Handler = (clause, state) => {
  if (
    !/^(?:what(?:'s| is| are)? (?:in|on) (?:the|my) scene|what objects|what(?:'s| is) there|describe|list|show (?:me )?(?:the )?(?:objects|scene contents)|tell me about the scene|what does the scene (?:have|contain)|which objects|how many objects|get (?:the )?scene|inspect)/.test(
      clause.text,
    )
  )
    return false;
  if (!state.world.authoritative) throw new SceneNeeded();
  state.notes.push(describeScene(state.world));
  return true;
};
