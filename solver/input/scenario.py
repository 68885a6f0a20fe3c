"""The scenario file (TOML): parsed into a validated, immutable :class:`Scenario`.

Every key is here with its default; ``docs/scenario.md`` documents each one (a test
keeps the two in step). Unknown keys are errors that name the closest known key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, Problem

Level = Literal["primary", "junior"]
Indicator = Literal["key_per_100", "pe_art_per_100", "qualified_per_100"]
Scope = Literal["district", "cross_zone", "cross_group", "within_zone", "within_group"]
INDICATORS: tuple[str, ...] = ("key_per_100", "pe_art_per_100", "qualified_per_100")


class _Section(BaseModel):
    # allow_inf_nan=False: every number of a scenario is finite (inf and nan are refused)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: CP-SAT's random seed is a 32-bit signed integer: seeds are 0 .. 2**31 - 1.
SEED_MAX = 2**31 - 1
#: Upper bounds that keep every number within what the model's integer arithmetic holds
#: (documented with the keys in docs/scenario.md).
YEARS_MAX = 100.0
WEIGHT_MAX = 1e6
TIME_LIMIT_MAX_S = 1e6
WORK_LIMIT_MAX = 1e9
WORKERS_MAX = 256
MEMORY_LIMIT_MAX_GB = 1e6
#: The years a scenario's ``as_of`` may lie in (pandas' timestamps end in 2262).
AS_OF_YEARS = (1900, 2200)


Share = float
#: A cap on a difference coefficient: a finite number >= 0.
Cap = Annotated[float, Field(ge=0, le=100.0)]


def _share(v: float) -> float:
    if not 0.0 <= v <= 1.0:
        raise ValueError("must be a share between 0 and 1")
    return v


class ScenarioInfo(_Section):
    name: str = Field("scenario", min_length=1, max_length=200)
    as_of: dt.date = Field(default_factory=lambda: dt.date(dt.date.today().year, 9, 1))
    data: Path | None = None
    # Instead of `data`: a generated district (profile and seed, see `lungang generate`).
    profile: str | None = None
    profile_seed: int = Field(0, ge=0, le=SEED_MAX)
    profile_schools: int | None = Field(None, ge=1, le=100_000)
    profile_staff: int | None = Field(None, ge=1, le=1_000_000)
    # With profile = "city": which of its 16 districts (dongcheng, xicheng, ..., daxing);
    # profile_schools and profile_staff are then the city's totals, as for `generate city`.
    profile_district: str | None = None

    @field_validator("as_of")
    @classmethod
    def _as_of_range(cls, v: dt.date) -> dt.date:
        lo, hi = AS_OF_YEARS
        if not lo <= v.year <= hi:
            raise ValueError(f"must be a date in the years {lo} to {hi}")
        return v

    @field_validator("name")
    @classmethod
    def _printable(cls, v: str) -> str:
        if any(not c.isprintable() for c in v):
            raise ValueError("must not hold control characters")
        return v

    @model_validator(mode="after")
    def _data_or_profile(self) -> ScenarioInfo:
        if self.data is None and self.profile is None:
            raise ValueError("give `data` (a district folder or workbook) or `profile`")
        if (self.profile == "city") != (self.profile_district is not None):
            raise ValueError(
                '`profile_district` names one district of profile = "city", and the city '
                "profile needs it"
            )
        return self


class RoleEligibility(_Section):
    min_years_at_school: float = Field(6.0, ge=0, le=YEARS_MAX)
    min_years_to_retirement: float = Field(5.0, ge=0, le=YEARS_MAX)
    payroll_only: bool = True


class RetirementAge(_Section):
    female: float = Field(55.0, gt=0, le=YEARS_MAX)
    male: float = Field(60.0, gt=0, le=YEARS_MAX)


class Eligibility(_Section):
    teacher: RoleEligibility = RoleEligibility()
    principal: RoleEligibility = RoleEligibility()
    vice_principal: RoleEligibility | None = None  # defaults to `principal`
    retirement_age: RetirementAge = RetirementAge()

    @model_validator(mode="after")
    def _vice_defaults(self) -> Eligibility:
        if self.vice_principal is None:
            object.__setattr__(self, "vice_principal", self.principal)
        return self

    def for_role(self, role: str) -> RoleEligibility:
        return {"teacher": self.teacher, "principal": self.principal}.get(role, self.vice_principal)


class Quotas(_Section):
    teacher_rotation_min: float = 0.10
    key_share_of_rotated_min: float = 0.20
    # Denominator of the key-teacher share (``docs/policy.md``: provinces read the 20% either way):
    # "rotated" = key teachers among rotated teachers; "eligible_key" = share of eligible
    # key teachers who rotate.
    key_share_basis: Literal["rotated", "eligible_key"] = "rotated"
    principal_rotation_min: float = 0.0
    school_outflow_max: float = 0.15

    _check = field_validator(
        "teacher_rotation_min",
        "key_share_of_rotated_min",
        "principal_rotation_min",
        "school_outflow_max",
    )(_share)


class ScopeRules(_Section):
    teachers: Scope = "district"
    principals: Scope = "district"
    same_level: bool = True


class Staffing(_Section):
    subject_tolerance: int = Field(0, ge=0, le=100_000)


class Commute(_Section):
    # half the Earth's circumference: every pair of places is within it
    max_km: float = Field(15.0, gt=0, le=20_038.0)


class Balance(_Section):
    indicator: Indicator | list[Indicator] = Field("key_per_100", min_length=1)
    # lexicographic: balance (as cv) first, then commute, then moves, each stage holding
    # the previous stage's optimum.
    objective: Literal["cv", "minmax", "l1", "lexicographic"] = "cv"
    # weight per indicator when `indicator` is a list (default: equal)
    indicator_weights: dict[Indicator, Annotated[float, Field(ge=0, le=WEIGHT_MAX)]] | None = None
    # a number (every level and indicator), per level {primary = 0.5, junior = 0.45}, or per
    # indicator {key_per_100 = {primary = 0.5}, pe_art_per_100 = 0.45}
    max_cv: Cap | dict[Level, Cap] | dict[Indicator, Cap | dict[Level, Cap]] | None = None
    min_per_100: float | None = Field(None, ge=0, le=1000.0)

    @property
    def indicators(self) -> tuple[str, ...]:
        ind = self.indicator
        return (ind,) if isinstance(ind, str) else tuple(dict.fromkeys(ind))

    def indicator_weight(self, indicator: str) -> float:
        if self.indicator_weights and indicator in self.indicator_weights:
            return float(self.indicator_weights[indicator])
        return 1.0

    @property
    def kind(self) -> str:
        """The balance measure of the objective (``lexicographic`` balances by ``cv``)."""
        return "cv" if self.objective == "lexicographic" else self.objective

    def max_cv_for(self, level: str, indicator: str | None = None) -> float | None:
        """The cap on ``indicator`` 's difference coefficient in ``level`` (None: no cap)."""
        cap = self.max_cv
        if isinstance(cap, dict) and any(k in INDICATORS for k in cap):
            if indicator is None:
                return None
            cap = cap.get(indicator)
        if cap is None or isinstance(cap, float | int):
            return None if cap is None else float(cap)
        return cap.get(level)


class Flow(_Section):
    urban_to_rural_min: float = 0.0
    # Banan 2021: strong rural principals also go to the city. Share of the moves out
    # of rural schools that must go to urban or town schools. 0 changes nothing.
    rural_to_urban_min: float = 0.0

    # Seed 004 (优质→薄弱): share of moves out of strong schools that must go to weak ones
    # (``tier``). 0 changes nothing.
    strong_to_weak_min: float = 0.0

    _check = field_validator("urban_to_rural_min", "rural_to_urban_min", "strong_to_weak_min")(
        _share
    )


class Weights(_Section):
    balance: float = Field(100.0, ge=0, le=WEIGHT_MAX)
    commute: float = Field(1.0, ge=0, le=WEIGHT_MAX)
    moves: float = Field(0.0, ge=0, le=WEIGHT_MAX)


class SolverSettings(_Section):
    time_limit_s: float = Field(60.0, gt=0, le=TIME_LIMIT_MAX_S)
    workers: int = Field(2, ge=1, le=WORKERS_MAX)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    # Deterministic search (interleaved workers) and an optional budget of CP-SAT's
    # deterministic time that stops every run at the same point (see README).
    deterministic: bool = True
    work_limit: float | None = Field(None, gt=0, le=WORK_LIMIT_MAX)
    # Stop the search once the plan is within this relative gap of a bound of the problem
    # as written (0 = search until the time limit or optimality): a batch of many
    # districts takes the next one instead of polishing a plan already good enough.
    gap_limit: float = Field(0.0, ge=0, lt=1)
    # Keep only each teacher's nearest permitted schools: 0 = all; unset = all unless the
    # model would exceed 200,000 candidate moves, then as many as fit (at least 10).
    max_candidates: int | None = Field(None, ge=0, le=100_000)
    # Stop with exit 4 when the process's resident memory exceeds this many GB
    # (0 = a safe share of the machine, see solver.search.guard.default_memory_limit_bytes).
    memory_limit_gb: float = Field(0.0, ge=0, le=MEMORY_LIMIT_MAX_GB)


class Output(_Section):
    # Language of plan.xlsx, report.html and the text tables (en | zh); CSV column
    # names stay the contract's English ones, which every reader of a plan relies on.
    lang: Literal["en", "zh"] = "en"
    # Encoding of every CSV a plan folder holds: utf-8-sig and gb18030 open correctly
    # in Excel on a Chinese system.
    csv_encoding: Literal["utf-8", "utf-8-sig", "gb18030"] = "utf-8"


class Horizon(_Section):
    """``[horizon]``: a plan of several school years (``lungang plan``). Year 1 is binding,
    later years are provisional. The defaults plan one year, as ``lungang solve``."""

    years: int = Field(1, ge=1, le=10)
    # Of the people eligible in at least one year of the horizon, the share who move in
    # at least one (Dongcheng 2021: 100% within three years).
    coverage_min: float = 0.0
    # Length of a stint in school years (Beijing 2016: 1 to 3).
    stint_years: int = Field(1, ge=1, le=3)
    # 交流: back to the post school at the stint's end; false = 轮岗: the post moves.
    return_home: bool = True
    # No rotation to a school the person served within this many years (history.csv and
    # earlier years of the plan); 0 = off.
    no_return_years: float = Field(0.0, ge=0, le=50)

    _check = field_validator("coverage_min")(_share)


class SeedRules(_Section):
    """``[rules]``: the seeds' rules on new hires, title applicants and stage order."""

    # Banan 2021: urban and town new hires go to a rural school after this many years
    # (0 = off), for at least ``new_hire_rural_min_years``.
    new_hire_rural_after_years: float = Field(0.0, ge=0, le=40)
    new_hire_rural_min_years: float = Field(2.0, ge=0, le=40)
    # Beijing / Banan: a senior-title applicant needs this many rural years (0 = off);
    # Pucheng: or this many years at weak schools (0 = off).
    title_rural_years: float = Field(0.0, ge=0, le=40)
    title_weak_years: float = Field(0.0, ge=0, le=40)
    # Streams in order, as lexicographic stages (Dongcheng: teachers before cadres, primary
    # before junior, key before ordinary).
    priority: list[Literal["teachers", "cadres", "primary", "junior", "key", "ordinary"]] = []

    @field_validator("priority")
    @classmethod
    def _priority_once(cls, v: list[str]) -> list[str]:
        # A stream named twice would be a stage that holds what the first one found.
        twice = sorted({s for s in v if v.count(s) > 1})
        if twice:
            raise ValueError(f"names {', '.join(twice)} more than once; name each stream once")
        return v


class Points(_Section):
    """``[placement] points``: points per unit of each measure (``docs/placement.md``);
    a person's points are Σ points · value, each value and the total rounded to 0.01."""

    # years at the current school (as eligibility counts them, days / 365.25)
    years_at_school: float = Field(0.0, ge=-1000, le=1000)
    years_to_retirement: float = Field(0.0, ge=-1000, le=1000)
    # years at rural (weak) schools: from history.csv, else the staff's rural_years
    rural_years: float = Field(0.0, ge=-1000, le=1000)
    weak_years: float = Field(0.0, ge=-1000, le=1000)
    # 1 for a teacher with above_standard_qualification, 0 otherwise
    above_standard_qualification: float = Field(0.0, ge=-1000, le=1000)


class Placement(_Section):
    """``[placement]``: how ordinary teachers are placed (派位): by the objective, or by a
    mechanism over the slots the optimisation opens (``docs/placement.md``)."""

    mechanism: Literal["optimize", "serial_dictatorship", "deferred_acceptance"] = "optimize"
    points: Points = Points()
    # Published before the draw; ties in points are broken by SHA-256 of "seed:staff_id".
    lottery_seed: str = Field("", max_length=200)
    # Weight of the wish term of the objective (wish ranks; used by every mechanism's
    # optimisation, which decides who moves).
    wish_weight: float = Field(0.0, ge=0, le=WEIGHT_MAX)
    # Nobody is sent to a school they rank below staying (individual rationality).
    never_worse: bool = False

    @field_validator("lottery_seed")
    @classmethod
    def _seed_printable(cls, v: str) -> str:
        if any(not c.isprintable() for c in v):
            raise ValueError("must not hold control characters")
        return v


Subject = Literal[
    "chinese",
    "math",
    "english",
    "science",
    "physics",
    "chemistry",
    "biology",
    "history",
    "geography",
    "morality",
    "pe",
    "music",
    "art",
    "it",
    "psychology",
    "other",
]


class Forms(_Section):
    """``[forms]``: forms of rotation besides a full-time move (``docs/forms.md``).

    The defaults switch every form off: a scenario without ``[forms]`` plans as before."""

    # 兼职: teachers of these subjects keep their post and give shares of their week
    # (steps of 0.1) to other schools within [commute] max_km.
    part_time: bool = False
    part_time_subjects: list[Subject] = ["pe", "music", "art"]
    part_time_max_share: float = 0.4
    part_time_max_schools: int = Field(2, ge=1, le=10)
    # 全学科: every school gets at least coverage_min teacher-equivalents of each subject.
    coverage_subjects: list[Subject] = []
    coverage_min: float = 0.2
    # 学科指导: key teachers give guidance_share of their week to a weak subject of a
    # rural or weak school.
    guidance: bool = False
    guidance_share: float = 0.2
    # 顶岗: moves from schools over their demand to schools under it count apart from
    # the rotation quotas.
    post_filling: bool = False
    # Dongcheng: at least this many young teachers (hired within 5 years) move full time
    # from ordinary schools to the lead school of their education group.
    training_to_lead: int = Field(0, ge=0, le=100_000)

    _check = field_validator("part_time_max_share", "coverage_min", "guidance_share")(_share)

    @field_validator("part_time_max_share", "coverage_min", "guidance_share")
    @classmethod
    def _tenths(cls, v: float) -> float:
        # Shares are whole tenths of a teacher's week (the model's integer steps).
        if abs(round(v * 10) - v * 10) > 1e-9:
            raise ValueError("must be a multiple of 0.1 (shares are whole tenths of a week)")
        return v

    @property
    def shares(self) -> bool:
        """Whether a plan may hold part-time or guidance shares."""
        return self.part_time or self.guidance

    @property
    def switched_on(self) -> list[str]:
        """The keys of the forms switched on, in the order of the section."""
        keys = (
            ("part_time", self.part_time),
            ("coverage_subjects", bool(self.coverage_subjects)),
            ("guidance", self.guidance),
            ("post_filling", self.post_filling),
            ("training_to_lead", self.training_to_lead > 0),
        )
        return [k for k, on in keys if on]

    @property
    def active(self) -> bool:
        """Whether any form is switched on (the plan folder then reports the forms)."""
        return (
            self.shares
            or bool(self.coverage_subjects)
            or self.post_filling
            or self.training_to_lead > 0
        )


#: Sections a scenario from before multi-year plans does not have: ``resolved()`` leaves
#: them out while they hold their defaults, so such a scenario's plan is unchanged.
_OPTIONAL_SECTIONS: tuple[str, ...] = ("horizon", "rules", "placement", "forms")
#: Keys of older sections likewise left out of ``resolved()`` at their default.
_OPTIONAL_KEYS: tuple[tuple[str, str], ...] = (("flow", "strong_to_weak_min"),)


class Scenario(_Section):
    scenario: ScenarioInfo
    eligibility: Eligibility = Eligibility()
    quotas: Quotas = Quotas()
    scope: ScopeRules = ScopeRules()
    staffing: Staffing = Staffing()
    commute: Commute = Commute()
    balance: Balance = Balance()
    flow: Flow = Flow()
    weights: Weights = Weights()
    solver: SolverSettings = SolverSettings()
    output: Output = Output()
    horizon: Horizon = Horizon()
    rules: SeedRules = SeedRules()
    placement: Placement = Placement()
    forms: Forms = Forms()

    # Where the scenario file lives; not a key of the file.
    source: Path | None = Field(None, exclude=True)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def as_of(self) -> dt.date:
        return self.scenario.as_of

    def resolved(self) -> dict[str, Any]:
        """The scenario with every default filled in, as plain JSON-able data.

        The multi-year sections (``[horizon]``, ``[rules]``), ``[placement]`` and ``[flow]
        strong_to_weak_min`` are left out while at their defaults, so that a scenario
        that does not use them resolves as it always did."""
        out = self.model_dump(mode="json", exclude={"source"})
        for name in _OPTIONAL_SECTIONS:
            if getattr(self, name) == type(getattr(self, name))():
                out.pop(name, None)
        for section, key in _OPTIONAL_KEYS:
            field = type(getattr(self, section)).model_fields[key]
            if getattr(getattr(self, section), key) == field.default:
                out[section].pop(key, None)
        return out

    def with_solver(self, **changes: Any) -> Scenario:
        """A copy with some ``[solver]`` settings changed (``None`` values ignored).

        The changes are validated like the scenario file's keys (a command-line override
        is no back door for ``nan`` or a seed out of range).

        Raises
        ------
        InputError
            Naming the option (``--time-limit``, ``--workers``, ``--seed``) or the key.
        """
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        try:
            solver = SolverSettings.model_validate({**self.solver.model_dump(), **changes})
        except ValidationError as err:
            problems = []
            for e in err.errors():
                key = str(e["loc"][0]) if e["loc"] else ""
                where = CLI_OPTIONS.get(key, f"[solver] {key}")
                problems.append(Problem(file=where, message=e["msg"], value=e.get("input")))
            raise InputError(problems) from None
        return self.model_copy(update={"solver": solver})


#: The command-line options that override ``[solver]`` keys (for messages).
CLI_OPTIONS = {"time_limit_s": "--time-limit", "workers": "--workers", "seed": "--seed"}


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the section at ``loc`` (without the unknown key itself)."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        nxt = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nxt is None:
            return []
        model = nxt
    return list(model.model_fields)


_TYPE_TAGS = {"float", "int", "str", "bool", "date", "list", "dict", "literal", "none"}


def _is_tag(part: object) -> bool:
    """A part of pydantic's error location that names a union member, not a key."""
    if isinstance(part, int):
        return True
    s = str(part)
    return any(ch in s for ch in "[-(") or s in _TYPE_TAGS


def _brief(value: object) -> object:
    if isinstance(value, dict):
        return None
    if isinstance(value, str) and len(value) > 60:
        return value[:60] + "..."
    return value


def _problems(err: ValidationError, file: str) -> list[Problem]:
    out = []
    by_key: dict[str, list[dict]] = {}
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not _is_tag(p))
        key = ".".join(str(p) for p in loc)
        if e["type"] == "extra_forbidden":
            known = [k for k in _known_keys(Scenario, loc) if k != "source"]
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.0)
            hint = f"; did you mean '{'.'.join([*map(str, loc[:-1]), close[0]])}'?" if close else ""
            out.append(Problem(file=file, key=key, message=f"unknown key{hint}"))
        else:
            by_key.setdefault(key, []).append(e)
    for key, errors in by_key.items():
        if any(k.startswith(key + ".") for k in by_key):
            continue  # a union member that wanted another shape: the deeper key says more
        # a union (a number, or a table per level ...) fails once per member: report the
        # members' complaints about the value itself before "should be a table"
        shape = ("dict_type", "list_type", "model_type", "literal_error")
        best = [e for e in errors if e["type"] not in shape] or errors
        messages = list(dict.fromkeys(e["msg"] for e in best))
        out.append(
            Problem(
                file=file,
                key=key,
                message="; or ".join(messages[:3]),
                value=_brief(best[0].get("input")),
            )
        )
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; relative paths are resolved against its folder.

    Raises
    ------
    InputError
        Naming the file and each bad or unknown key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(file=str(path), message="scenario file not found"))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(file=str(path), message=f"cannot read: {exc.strerror}")) from None
    if len(data) > MAX_SCENARIO_BYTES:
        raise InputError(
            Problem(
                file=str(path),
                message=f"{len(data)} bytes: too large for a scenario file",
                expected=f"at most {MAX_SCENARIO_BYTES} bytes",
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(
                file=str(path),
                row=line,
                message="not UTF-8 text (a TOML file must be UTF-8): save it as UTF-8",
            )
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(file=str(path), message=f"not valid TOML: {exc}")) from None
    except RecursionError:
        raise InputError(
            Problem(
                file=str(path), message=f"tables or arrays nested too deeply: {_deep_line(text)}"
            )
        ) from None
    deep = _too_deep(raw)
    if deep is not None:
        raise InputError(
            Problem(
                file=str(path),
                key=deep,
                message=f"nested more than {MAX_DEPTH} levels deep",
                expected="a scenario's tables, as docs/scenario.md lists them",
            )
        )
    return parse_scenario(raw, base=path.parent, file=str(path))


#: A scenario file is a few kilobytes; far larger files are refused before parsing.
MAX_SCENARIO_BYTES = 1_000_000
#: No scenario key is nested deeper than this (``balance.max_cv.key_per_100.primary``).
MAX_DEPTH = 8


def _too_deep(raw: Any, limit: int = MAX_DEPTH) -> str | None:
    """The dotted key at which ``raw`` is nested deeper than ``limit``, or None (no recursion)."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(raw, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > limit:
            return ".".join(path[: limit + 1])
        if isinstance(node, dict):
            stack.extend((v, (*path, str(k))) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, str(i))) for i, v in enumerate(node))
    return None


def _deep_line(text: str) -> str:
    """Where the deepest nesting of ``text`` starts, as ``line N`` (for the message)."""
    depth = best = 0
    where = 1
    for n, line in enumerate(text.splitlines(), start=1):
        for ch in line:
            depth += ch in "{["
            depth -= ch in "}]"
            if depth > best:
                best, where = depth, n
    return f"line {where}"


def parse_scenario(
    raw: dict[str, Any], base: Path | None = None, file: str = "scenario"
) -> Scenario:
    """Validate a scenario given as a dict (as read from TOML)."""
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as err:
        raise InputError(_problems(err, file)) from None
    if sc.scenario.data is not None and base is not None and not sc.scenario.data.is_absolute():
        info = sc.scenario.model_copy(update={"data": (base / sc.scenario.data).resolve()})
        sc = sc.model_copy(update={"scenario": info})
    return sc.model_copy(update={"source": Path(file) if base is not None else None})
