// Animateur playground: act as a member of a local workspace and watch the bot respond.
// Plain DOM, no framework. Message text is only ever set through text nodes (never innerHTML):
// its chat markup (*bold*, _italics_, links, mentions) becomes elements built one by one.
"use strict";

const POLL_MS = 1000;
/** Reactions offered by the picker: Slack's names, and what they look like. */
const REACTIONS = [
  ["+1", "👍"],
  ["tada", "🎉"],
  ["heart", "❤️"],
  ["joy", "😂"],
  ["thinking_face", "🤔"],
  ["eyes", "👀"],
];
const glyph = (name) => REACTIONS.find(([n]) => n === name)?.[1] ?? `:${name}:`;
const state = {
  workspace: new URLSearchParams(location.search).get("workspace") || "demo",
  members: [], // from /local/directory
  added: [], // members created in this page, unknown to the server until they act
  communities: [],
  me: null,
  channel: null,
  rendered: { dms: new Map(), feed: new Map() }, // message id -> {signature, node}
  replying: new Map(), // thread (first message) id -> the reply being written
  editing: new Map(), // message id -> its text being changed
  picking: null, // the message whose reaction picker is open
};
const $ = (id) => document.getElementById(id);

// -- small helpers ---------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "testid") node.dataset.testid = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function uniqueId(prefix) {
  const random = globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2);
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}

const shortLocale = (locale) => (locale || "").split(/[-_]/)[0];
const clock = (iso) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

function allMembers() {
  const known = new Set(state.members.map((m) => m.id));
  return [...state.members, ...state.added.filter((m) => !known.has(m.id))];
}

function nameOf(id) {
  if (id === "bot") return "Animateur";
  return allMembers().find((m) => m.id === id)?.name || id;
}

// -- chat markup: *bold*, _italics_, `code`, links, mentions as names -----------------------

const MARKUP = new RegExp(
  [
    String.raw`<(https?:\/\/[^\s|>]+)(?:\|([^>]+))?>`, // 1, 2: <url|label> (Slack)
    String.raw`\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)`, // 3, 4: [label](url) (Markdown)
    String.raw`<@([^\s|>]+)(?:\|([^>]*))?>`, // 5, 6: <@U123> or <@U123|name>
    String.raw`(https?:\/\/[^\s<>]*[^\s<>.,;:!?)'"])`, // 7: a bare address
    String.raw`(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])`, // 8: *bold*
    String.raw`(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])`, // 9: _italics_
    String.raw`\x60([^\x60\n]+)\x60`, // 10: code between backticks
    String.raw`(?<![\w@])@([A-Za-z0-9][\w.\-]*[A-Za-z0-9])`, // 11: @U-bob (a known member)
  ].join("|"),
  "g",
);

function mention(id, label) {
  const known = id === "bot" || allMembers().some((m) => m.id === id);
  const name = known || !label ? nameOf(id) : label; // the member's name, else the mention's
  const node = el("span", { className: "mention", testid: "mention" }, `@${name}`);
  if (!known) node.title = "unknown member";
  return node;
}

function link(url, label) {
  const props = { href: url, target: "_blank", rel: "noopener noreferrer", testid: "link" };
  return el("a", props, ...rich(label ?? url, false));
}

/** Nodes showing ``text`` as a chat does; nothing in it is ever read as HTML. */
function rich(text, links = true) {
  const nodes = [];
  let at = 0;
  for (const found of text.matchAll(MARKUP)) {
    const [
      whole, slackUrl, slackLabel, mdLabel, mdUrl, mentioned, label, bare, bold, italic, code, at_,
    ] = found;
    let node;
    if (slackUrl && links) node = link(slackUrl, slackLabel);
    else if (mdUrl && links) node = link(mdUrl, mdLabel);
    else if (mentioned) node = mention(mentioned, label);
    else if (bare && links) node = link(bare);
    else if (bold !== undefined) node = el("strong", {}, ...rich(bold, links));
    else if (italic !== undefined) node = el("em", {}, ...rich(italic, links));
    else if (code !== undefined) node = el("code", {}, code);
    else if (at_ && allMembers().some((m) => m.id === at_)) node = mention(at_);
    if (!node) continue; // left as it was written
    if (found.index > at) nodes.push(document.createTextNode(text.slice(at, found.index)));
    nodes.push(node);
    at = found.index + whole.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

const richText = (text, className = "text") => el("p", { className }, ...rich(text || ""));

// -- errors and HTTP -------------------------------------------------------------------------

let errorSource = null;

function showError(message, source = "action") {
  errorSource = source;
  $("error-text").textContent = message;
  $("error").hidden = false;
}

function clearError(source) {
  if (source === undefined || source === errorSource) $("error").hidden = true;
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new Error("Cannot reach the Animateur server.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const problems = (body.problems || []).map((p) => `${p.field}: ${p.problem}`).join("; ");
    const message = body.error || `HTTP ${response.status}`;
    throw new Error(problems ? `${message} — ${problems}` : message);
  }
  return body;
}

/** Post an event as the acting member; true when the server accepted it. */
async function post(event) {
  const body = { workspace: state.workspace, user: state.me, id: uniqueId(event.type), ...event };
  const added = state.added.find((m) => m.id === state.me);
  if (added) Object.assign(body, { name: added.name, locale: added.locale });
  try {
    await api("/local/events", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    clearError("action");
    setTimeout(poll, 150);
    if (added) setTimeout(loadDirectory, 500);
    return true;
  } catch (error) {
    showError(error.message);
    return false;
  }
}

// -- directory: members and communities ------------------------------------------------------

async function loadDirectory() {
  try {
    const query = `workspace=${encodeURIComponent(state.workspace)}`;
    const directory = await api(`/local/directory?${query}`);
    state.members = directory.members;
    state.communities = directory.communities;
    clearError("directory");
  } catch (error) {
    showError(error.message, "directory");
  }
  renderMembers();
  renderCommunities();
}

function renderMembers() {
  const members = allMembers();
  if (!members.some((m) => m.id === state.me)) state.me = members[0]?.id ?? null;
  $("member-select").replaceChildren(
    ...members.map((m) => {
      const label = `${m.name} (${shortLocale(m.locale) || "?"})`;
      return el("option", { value: m.id, selected: m.id === state.me }, label);
    }),
  );
  $("dms-who").textContent = state.me ? `· ${nameOf(state.me)}` : "";
  showTime();
}

function renderCommunities() {
  const communities = state.communities;
  if (!communities.some((c) => c.channel === state.channel)) {
    state.channel = communities[0]?.channel ?? null;
  }
  $("no-communities").hidden = communities.length > 0;
  $("communities").replaceChildren(
    ...communities.map((c) => {
      const button = el(
        "button",
        { type: "button", testid: "community", onclick: () => selectChannel(c.channel) },
        el("span", {}, c.name),
        el("span", { className: "muted small" }, c.channel),
      );
      button.setAttribute("aria-pressed", String(c.channel === state.channel));
      return el("li", {}, button);
    }),
  );
  const selected = communities.find((c) => c.channel === state.channel);
  $("community").hidden = !selected;
  $("feed-name").textContent = selected ? `· ${selected.name}` : "";
  renderCockpit();
  if (selected) {
    $("community-name").textContent = selected.name;
    const facilitators = selected.facilitators.map(nameOf).join(", ") || "none";
    $("community-meta").textContent = `#${selected.channel} · facilitators: ${facilitators}`;
  }
}

function selectChannel(channel) {
  state.channel = channel;
  lastFeed = [];
  resetList("channel-feed", state.rendered.feed);
  renderCommunities();
  poll();
}

function selectMember(id) {
  state.me = id;
  state.editing.clear();
  state.picking = null;
  resetList("dms", state.rendered.dms);
  renderMembers();
  renderCockpit();
  rerender(); // who may edit, which reactions are mine
  poll();
}

// -- messages --------------------------------------------------------------------------------

function resetList(listId, rendered) {
  rendered.clear();
  $(listId).replaceChildren();
}

/** Keyed update: only messages whose content changed are re-rendered, so typed drafts survive. */
function renderList(listId, emptyId, messages, render, rendered, extra = () => "") {
  const list = $(listId);
  const newest = list.lastElementChild;
  const seen = new Set();
  let previous = null;
  for (const message of messages) {
    seen.add(message.id);
    const signature = JSON.stringify(message) + extra(message);
    let entry = rendered.get(message.id);
    if (!entry || entry.signature !== signature) {
      const node = render(message);
      const typing = entry?.node.contains(document.activeElement) ? document.activeElement : null;
      entry?.node.replaceWith(node);
      refocus(typing, node);
      entry = { signature, node };
      rendered.set(message.id, entry);
    }
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (entry.node !== expected) list.insertBefore(entry.node, expected);
    previous = entry.node;
  }
  for (const [id, entry] of rendered) {
    if (!seen.has(id)) {
      entry.node.remove();
      rendered.delete(id);
    }
  }
  $(emptyId).hidden = messages.length > 0;
  if (list.lastElementChild && list.lastElementChild !== newest) scrollToNewest(list);
}

/** A new message at the end of a list: its panel scrolls down to it, as a chat does. */
function scrollToNewest(list) {
  const panel = list.closest(".panel");
  if (panel) panel.scrollTop = panel.scrollHeight;
}

/** A draft's field re-rendered while typed in keeps the focus and the caret. */
function refocus(typing, node) {
  const testid = typing?.dataset?.testid;
  const key = typing?.dataset?.key;
  if (!testid || !key) return;
  const again = node.querySelector(`[data-testid="${testid}"][data-key="${CSS.escape(key)}"]`);
  if (!again) return;
  again.focus();
  again.setSelectionRange?.(again.value.length, again.value.length);
}

function header(message) {
  return el(
    "div",
    { className: "meta" },
    el("strong", {}, nameOf(message.author)),
    el("time", { dateTime: message.created_at }, clock(message.created_at)),
    message.updated_at ? el("span", {}, "· answered") : null,
    message.edited_at && !message.deleted ? el("span", {}, "· edited") : null,
  );
}

function renderDm(message) {
  const text = richText(message.text);
  const item = el("li", { className: "msg", testid: "dm" }, header(message), text);
  if (message.updated_at) item.classList.add("answered");
  if (message.answerable && message.choices.length) {
    const buttons = message.choices.map((choice) => {
      const onclick = () => choose(message, choice, buttons);
      return el("button", { type: "button", testid: "choice", onclick }, choice.label);
    });
    item.append(el("div", { className: "choices" }, ...buttons));
  }
  if (message.answerable && message.free_text) {
    const input = el("input", {
      testid: "answer-input",
      placeholder: message.placeholder || "",
      required: true,
      maxLength: 3000,
    });
    const submit = el(
      "button",
      { type: "submit", className: "primary", testid: "answer-submit" },
      message.submit_label || "Send",
    );
    const onsubmit = (event) => answer(event, message, input, submit);
    item.append(el("form", { className: "answer", onsubmit }, input, submit));
  }
  if (message.answerable && message.form) item.append(renderForm(message));
  if (message.stop) {
    const onclick = (event) => stopRitual(message, event.currentTarget);
    const props = { type: "button", className: "danger", testid: "stop", onclick };
    item.append(el("div", { className: "stop" }, el("button", props, message.stop.label)));
  }
  return item;
}

/** A form (community setup…): one labelled input per field, prefilled, sent all at once. */
function renderForm(message) {
  const { title, fields } = message.form;
  const rows = fields.map((field) => {
    const { name, hint, value } = field;
    const props = { name, value, placeholder: hint, maxLength: 3000, testid: `field-${name}` };
    const input = field.multiline ? el("textarea", { ...props, rows: 3 }) : el("input", props);
    return el("label", { className: "field" }, el("span", {}, field.label), input);
  });
  const submit = el(
    "button",
    { type: "submit", className: "primary", testid: "form-submit" },
    message.submit_label || "Send",
  );
  const onsubmit = (event) => submitForm(event, message, submit);
  return el("form", { className: "form stack", testid: "form", onsubmit },
    el("strong", {}, title), ...rows, submit);
}

/** A channel message with its reactions and, for a thread's first message, its replies. */
function renderPost(message) {
  const item = renderChannelMessage(message, "post");
  const replies = message.replies.map((reply) => renderChannelMessage(reply, "reply-post"));
  if (replies.length) item.append(el("ol", { className: "replies", testid: "replies" }, ...replies));
  if (state.replying.has(message.id)) item.append(replyForm(message));
  return item;
}

function renderChannelMessage(message, testid) {
  const classes = ["msg"];
  if (message.author !== "bot") classes.push(message.author === state.me ? "mine" : "human");
  if (message.deleted) classes.push("deleted");
  const item = el("li", { className: classes.join(" "), testid }, header(message));
  item.dataset.id = message.id;
  if (message.deleted) {
    item.append(el("p", { className: "text muted" }, "This message was deleted."));
    return item;
  }
  if (state.editing.has(message.id)) item.append(editForm(message));
  else item.append(richText(message.text));
  item.append(reactionBar(message), messageActions(message));
  if (state.picking === message.id) item.append(reactionPicker(message));
  return item;
}

function reactionBar(message) {
  const chips = Object.entries(message.reactions || {}).map(([name, users]) => {
    const mine = users.includes(state.me);
    const label = `${glyph(name)} ${users.length}`;
    const props = { type: "button", className: "chip", testid: "reaction", title: name };
    props.onclick = () => react(message, name, !mine);
    const chip = el("button", props, label);
    chip.dataset.reaction = name;
    chip.setAttribute("aria-pressed", String(mine));
    chip.setAttribute("aria-label", `${name}: ${users.map(nameOf).join(", ")}`);
    return chip;
  });
  return el("div", { className: "reactions" }, ...chips);
}

function messageActions(message) {
  const action = (testid, label, onclick) =>
    el("button", { type: "button", className: "link", testid, onclick }, label);
  const actions = [
    action("react", "React", () => {
      state.picking = state.picking === message.id ? null : message.id;
      rerender();
    }),
  ];
  if (!message.thread) {
    actions.push(action("reply", "Reply", () => {
      if (!state.replying.has(message.id)) state.replying.set(message.id, "");
      rerender();
      focusDraft("reply-input", message.id);
    }));
  }
  if (message.author === state.me) {
    actions.push(action("edit", "Edit", () => {
      state.editing.set(message.id, message.text);
      rerender();
      focusDraft("edit-input", message.id);
    }));
    actions.push(action("delete", "Delete", () =>
      post({ type: "message_deleted", message_id: message.id })));
  }
  return el("div", { className: "actions" }, ...actions);
}

function reactionPicker(message) {
  const choices = REACTIONS.map(([name, look]) => {
    const props = { type: "button", className: "chip", testid: "reaction-choice", title: name };
    props.onclick = () => {
      state.picking = null;
      react(message, name, true);
    };
    const button = el("button", props, look);
    button.setAttribute("aria-label", name);
    return button;
  });
  return el("div", { className: "picker", testid: "reaction-picker" }, ...choices);
}

function draftInput(testid, key, drafts, placeholder) {
  const input = el("input", {
    testid, placeholder, required: true, maxLength: 4000, value: drafts.get(key) ?? "",
  });
  input.dataset.key = key;
  input.addEventListener("input", () => drafts.set(key, input.value));
  return input;
}

function replyForm(message) {
  return inlineForm(message, {
    open: state.replying, name: "reply", placeholder: "Reply in the thread…", label: "Reply",
    formTestid: "reply-form",
    payload: (text) => ({
      type: "message_posted", channel: state.channel, text, thread: message.id,
    }),
  });
}

function editForm(message) {
  return inlineForm(message, {
    open: state.editing, name: "edit", placeholder: "", label: "Save",
    payload: (text) => ({ type: "message_edited", message_id: message.id, text }),
  });
}

/** A one-line form under a message (a reply, an edit): sent as ``payload(text)``, closed once
 * the bot took it; its draft survives re-renders. */
function inlineForm(message, { open, name, placeholder, label, formTestid, payload }) {
  const input = draftInput(`${name}-input`, message.id, open, placeholder);
  const submit = el("button", { type: "submit", className: "primary", testid: `${name}-submit` },
    label);
  const cancel = el("button", { type: "button", onclick: () => {
    open.delete(message.id);
    rerender();
  } }, "Cancel");
  const onsubmit = async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    submit.disabled = true;
    const ok = await post(payload(text));
    if (ok) open.delete(message.id);
    submit.disabled = false;
    rerender();
  };
  const attributes = { className: "answer", onsubmit };
  if (formTestid) attributes.testid = formTestid;
  return el("form", attributes, input, submit, cancel);
}

function focusDraft(testid, key) {
  const found = document.querySelector(`[data-testid="${testid}"][data-key="${CSS.escape(key)}"]`);
  found?.focus();
}

async function react(message, name, add) {
  const type = add ? "reaction_added" : "reaction_removed";
  await post({ type, channel: state.channel, message_id: message.id, reaction: name });
}

/** The channel's messages as threads: each first message with its replies, in order. */
function threads(messages) {
  const firsts = new Map();
  for (const message of messages) if (!message.thread) firsts.set(message.id, []);
  for (const message of messages) {
    if (message.thread && firsts.has(message.thread)) firsts.get(message.thread).push(message);
  }
  return messages
    .filter((m) => !m.thread || !firsts.has(m.thread))
    .map((m) => ({ ...m, replies: firsts.get(m.id) || [] }));
}

let lastFeed = [];

/** Draw the channel again now (a draft opened or closed, a picker…), without a round trip. */
function rerender() {
  renderList("channel-feed", "no-feed", threads(lastFeed), renderPost, state.rendered.feed,
    feedState);
}

/** What of the page's own state a thread's rendering depends on. */
function feedState(message) {
  const ids = [message.id, ...message.replies.map((r) => r.id)];
  return JSON.stringify([
    state.me,
    state.replying.has(message.id),
    ids.filter((id) => state.editing.has(id)),
    ids.includes(state.picking),
  ]);
}

async function choose(message, choice, buttons) {
  buttons.forEach((b) => (b.disabled = true));
  const ok = await post({ type: "button_clicked", message_id: message.id, value: choice.value });
  if (!ok) buttons.forEach((b) => (b.disabled = false));
}

async function answer(event, message, input, submit) {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.disabled = submit.disabled = true;
  const ok = await post({ type: "answer_submitted", message_id: message.id, answer: text });
  if (!ok) input.disabled = submit.disabled = false;
}

async function submitForm(event, message, submit) {
  event.preventDefault();
  const elements = event.currentTarget.elements;
  const values = Object.fromEntries(
    message.form.fields.map((field) => [field.name, elements.namedItem(field.name).value]),
  );
  submit.disabled = true;
  await post({ type: "form_submitted", message_id: message.id, values });
  submit.disabled = false;
}

async function stopRitual(message, button) {
  button.disabled = true;
  const ok = await post({ type: "stop_clicked", message_id: message.id });
  if (!ok) button.disabled = false;
}

let polling = false;

async function poll() {
  if (polling) return;
  polling = true;
  const ws = `workspace=${encodeURIComponent(state.workspace)}`;
  try {
    const [me, channel] = [state.me, state.channel];
    if (me) {
      const { messages } = await api(`/local/messages?${ws}&user=${encodeURIComponent(me)}`);
      if (me === state.me) {
        renderList("dms", "no-dms", messages, renderDm, state.rendered.dms);
      }
    }
    if (channel) {
      const query = `${ws}&channel=${encodeURIComponent(channel)}`;
      const { messages } = await api(`/local/messages?${query}`);
      if (channel === state.channel) {
        lastFeed = messages;
        rerender();
      }
    }
    clearError("poll");
  } catch (error) {
    showError(error.message, "poll");
  } finally {
    polling = false;
  }
}

// -- playground time and time travel --------------------------------------------------------

let lastClock = null;

/** The playground's time, in the acting member's timezone (as the bot counts for them). */
function showTime(clock = lastClock) {
  if (!clock) return;
  lastClock = clock;
  const zone = allMembers().find((m) => m.id === state.me)?.timezone || undefined;
  const options = {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: zone,
  };
  let shown;
  try {
    shown = new Date(clock.now).toLocaleString("en-GB", options);
  } catch {
    shown = new Date(clock.now).toLocaleString("en-GB", { ...options, timeZone: undefined });
  }
  $("now").dateTime = clock.now;
  $("now").textContent = zone ? `${shown} (${zone})` : shown;
  $("travel-controls").hidden = !clock.travel;
}

async function loadTime() {
  try {
    showTime(await api("/local/clock"));
  } catch (error) {
    showError(error.message, "clock");
  }
}

async function travel(button) {
  const jump = button.dataset.by ? { by: button.dataset.by } : { to: button.dataset.to };
  const me = allMembers().find((m) => m.id === state.me);
  if (jump.to) jump.timezone = me?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  const buttons = [...$("travel-controls").querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    showTime(await api("/local/clock", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(jump),
    }));
    clearError("action");
    setTimeout(poll, 150);
  } catch (error) {
    showError(error.message);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// -- the facilitator's cockpit: the dashboard, through the link the bot DMs them -------------

const DASHBOARD_LINK = /https?:\/\/[^\s<>]*\/dashboard\/open\?token=[^\s<>|]+/;

function renderCockpit() {
  const community = state.communities.find((c) => c.channel === state.channel);
  const facilitator = Boolean(community?.facilitators.includes(state.me));
  $("cockpit").hidden = !facilitator;
  if (!facilitator) $("cockpit-open").hidden = true;
}

/** Ask the bot for a dashboard link (``/animateur dashboard``), then offer it here. */
async function askCockpit() {
  const asker = state.me;
  const before = new Set(state.rendered.dms.keys());
  $("cockpit-open").hidden = true;
  if (!(await post({ type: "command", channel: state.channel, command: "dashboard", args: "" }))) {
    return;
  }
  for (let i = 0; i < 50 && asker === state.me; i++) {
    const ws = `workspace=${encodeURIComponent(state.workspace)}`;
    const { messages } = await api(`/local/messages?${ws}&user=${encodeURIComponent(asker)}`);
    const found = messages.filter((m) => !before.has(m.id)).map((m) => DASHBOARD_LINK.exec(m.text))
      .find(Boolean);
    if (found) {
      const url = new URL(found[0]); // the same server as this page, whatever its public address
      $("cockpit-open").href = `${location.origin}${url.pathname}${url.search}`;
      $("cockpit-open").hidden = false;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// -- wiring ----------------------------------------------------------------------------------

function wire() {
  $("workspace").textContent = state.workspace;
  $("error-close").addEventListener("click", () => clearError());
  $("member-select").addEventListener("change", (event) => selectMember(event.target.value));
  $("join").addEventListener("click", async (event) => {
    event.currentTarget.disabled = true;
    await post({ type: "member_joined", channel: state.channel });
    $("join").disabled = false;
  });
  $("post-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("post-text").value;
    const ok = await post({ type: "message_posted", channel: state.channel, text });
    if (ok) $("post-text").value = "";
  });
  $("command-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const words = $("command-text").value.trim().replace(/^\/animateur\b/, "").trim().split(/\s+/);
    const [command, ...args] = words;
    if (!command) return;
    const payload = { type: "command", channel: state.channel, command, args: args.join(" ") };
    const ok = await post(payload);
    if (ok) $("command-text").value = "";
  });
  for (const button of $("travel-controls").querySelectorAll("button")) {
    button.addEventListener("click", () => travel(button));
  }
  $("cockpit-ask").addEventListener("click", askCockpit);
  $("member-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const id = form.elements.id.value.trim();
    const name = form.elements.name.value.trim() || id;
    const member = { id, name, locale: form.elements.locale.value };
    state.added = [...state.added.filter((m) => m.id !== id), member];
    form.reset();
    form.closest("details").open = false;
    selectMember(id);
  });
}

wire();
loadDirectory().then(poll);
loadTime();
setInterval(poll, POLL_MS);
setInterval(loadTime, POLL_MS * 15);
