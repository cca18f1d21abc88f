"""The lexical guard of the semantic cache: two prompts close in embedding space still may not share
an answer unless they agree on every word that flips the meaning.

Both prompts must have
- the same numbers and identifiers with digits (ports, PIDs, hosts like web1, versions);
- the same negation (`not`, `never`, `no`, `without`, `-n't`...): present in both or in neither;
- the same actions, by class: restart / reboot / bounce agree, restart / stop never do;
  on / off, enable / disable, up / down, increase / decrease... are opposite classes;
- the same content words (nouns, names: nginx vs postgres), after light stemming and a few
  synonyms (ram = memory); filler words (how, please, tell me...) are ignored;
- the same word after each direction word (from, to, into, than...), so `from A to B` differs
  from `from B to A`.

Conservative by design: a paraphrase that changes a content word is a miss (the call is made),
never a wrong answer. bench/llm_semantic_eval.py measures both rates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:[._:/-][a-z0-9]+)*")
_NT = re.compile(r"n't\b")
"""don't -> do not, can't -> ca not, won't -> wo not ("ca", "wo" are filler)."""
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATIONS = _words(
    "not no never none nothing nobody neither nor without cannot nope isnt dont doesnt didnt "
    "wont cant aint arent wasnt werent shouldnt wouldnt couldnt hasnt havent"
)

_ACTION_GROUPS = {
    "start": "start starts started starting launch launched boot booted",
    "stop": "stop stops stopped stopping halt halted shutdown shut terminate terminated",
    "restart": "restart restarts restarted restarting reboot rebooted bounce relaunch",
    "reload": "reload reloads reloaded reloading",
    "kill": "kill kills killed killing",
    "enable": "enable enables enabled enabling",
    "disable": "disable disables disabled disabling",
    "on": "on",
    "off": "off",
    "up": "up upward",
    "down": "down downward",
    "increase": "increase increases increased raise raised grow bump more higher high above max",
    "decrease": "decrease decreases decreased reduce reduced lower shrink less low below min",
    "open": "open opens opened",
    "close": "close closes closed",
    "allow": "allow allows allowed permit grant accept",
    "deny": "deny denies denied block blocked forbid reject revoke",
    "add": "add adds added create created insert",
    "remove": "remove removes removed delete deleted drop purge",
    "install": "install installs installed",
    "uninstall": "uninstall uninstalls uninstalled",
    "mount": "mount mounted",
    "unmount": "unmount umount unmounted",
    "lock": "lock locked",
    "unlock": "unlock unlocked",
    "connect": "connect connected attach",
    "disconnect": "disconnect disconnected detach",
    "pause": "pause paused suspend suspended",
    "resume": "resume resumed",
    "upgrade": "upgrade upgraded update updated",
    "downgrade": "downgrade downgraded rollback revert",
    "success": "success succeeded successful pass passed ok",
    "failure": "fail fails failed failing failure",
    "before": "before earlier",
    "after": "after later",
    "read": "read reads",
    "write": "write writes wrote",
}
ACTIONS = {word: cls for cls, words in _ACTION_GROUPS.items() for word in words.split()}

_SYNONYMS = {
    "ram": "memory",
    "mem": "memory",
    "processor": "cpu",
    "storage": "disk",
    "utilization": "usage",
    "utilisation": "usage",
    "consumption": "usage",
    "use": "usage",
    "using": "usage",
    "used": "usage",
    "host": "server",
    "machine": "server",
    "box": "server",
    "daemon": "service",
    "unit": "service",
    "logs": "log",
    "journal": "log",
    "errors": "error",
    "slow": "latency",
    "switch": "turn",
    "toggle": "turn",
}

FILLER = _words(
    "a an the is are was were be been being am do does did doing have has had having i me my we "
    "us our you your it its this that these those there here what how why when where which who "
    "whom please can could would should will shall may might must tell show give explain know "
    "need want like way ways just now currently current right again also to of in for at by with "
    "about as and or so if then some much many very really quite go going get got make "
    "s t let lets check see look find out thing things one whats hows whys wheres whos thats "
    "theres im ive id ca wo ai"
)
ON_VERBS = _words(
    "turn turned turning switch switched switching power powered toggle toggled is are was were "
    "be been being stay stays stayed keep kept left leave set"
)
"""`on` is the opposite of `off` only after these (or last): elsewhere it is a preposition."""
DIRECTIONS = _words("from to into onto than via versus vs toward towards")


@dataclass(frozen=True, slots=True)
class Signature:
    numbers: Counter[str]
    negated: bool
    actions: frozenset[str]
    content: frozenset[str]
    directed: dict[str, str]


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    for suffix in ("ies", "es", "s"):
        if len(word) > 4 and word.endswith(suffix) and not word.endswith("ss"):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return _SYNONYMS.get(word, word)


def signature(text: str) -> Signature:
    lowered = _NT.sub(" not", text.lower().translate(_APOSTROPHES)).replace("'", "")
    words = _WORD.findall(lowered)
    numbers = Counter(w for w in words if any(c.isdigit() for c in w))
    actions, content, directed = set(), set(), {}
    for i, word in enumerate(words):
        if word == "on" and i + 1 < len(words) and (i == 0 or words[i - 1] not in ON_VERBS):
            continue
        if word in ACTIONS:
            actions.add(ACTIONS[word])
        elif word in DIRECTIONS:
            following = next((w for w in words[i + 1 :] if w not in FILLER), "")
            directed[word] = ACTIONS.get(following, _stem(following))
        elif word not in FILLER and word not in NEGATIONS and word not in numbers:
            content.add(_stem(word))
    negated = any(w in NEGATIONS for w in words)
    return Signature(numbers, negated, frozenset(actions), frozenset(content), directed)


def guard_reason(a: str, b: str) -> str | None:
    """None if `a` and `b` may share an answer; else why not (for the log)."""
    sa, sb = signature(a), signature(b)
    if sa.numbers != sb.numbers:
        return "numbers differ"
    if sa.negated != sb.negated:
        return "negation differs"
    if sa.actions != sb.actions:
        return "actions differ"
    if sa.content != sb.content:
        return "content words differ"
    for word in sa.directed.keys() & sb.directed.keys():
        if sa.directed[word] != sb.directed[word]:
            return f"what follows {word!r} differs"
    return None
