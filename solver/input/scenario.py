"""The scenario file (TOML): parsed into a validated, immutable :class:`Scenario`.

Every key is here with its default; ``docs/scenario.md`` documents each one (a test
keeps the two in step). Unknown keys are errors that name the closest known key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, Problem

Level = Literal["primary", "junior"]
Indicator = Literal["key_per_100", "pe_art_per_100", "qualified_per_100"]
Scope = Literal["district", "cross_zone", "cross_group", "within_zone", "within_group"]
INDICATORS: tuple[str, ...] = ("key_per_100", "pe_art_per_100", "qualified_per_100")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Share = float


def _share(v: float) -> float:
    if not 0.0 <= v <= 1.0:
        raise ValueError("must be a share between 0 and 1")
    return v


class ScenarioInfo(_Section):
    name: str = "scenario"
    as_of: dt.date = Field(default_factory=lambda: dt.date(dt.date.today().year, 9, 1))
    data: Path | None = None
    # Instead of `data`: a generated district (profile and seed, see `lungang generate`).
    profile: str | None = None
    profile_seed: int = 0
    profile_schools: int | None = None
    profile_staff: int | None = None
    # With profile = "city": which of its 16 districts (dongcheng, xicheng, ..., daxing);
    # profile_schools and profile_staff are then the city's totals, as for `generate city`.
    profile_district: str | None = None

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
    min_years_at_school: float = Field(6.0, ge=0)
    min_years_to_retirement: float = Field(5.0, ge=0)
    payroll_only: bool = True


class RetirementAge(_Section):
    female: float = Field(55.0, gt=0)
    male: float = Field(60.0, gt=0)


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
    subject_tolerance: int = Field(0, ge=0)


class Commute(_Section):
    max_km: float = Field(15.0, gt=0)


class Balance(_Section):
    indicator: Indicator | list[Indicator] = "key_per_100"
    # lexicographic: balance (as cv) first, then commute, then moves, each stage holding
    # the previous stage's optimum.
    objective: Literal["cv", "minmax", "l1", "lexicographic"] = "cv"
    # weight per indicator when `indicator` is a list (default: equal)
    indicator_weights: dict[Indicator, float] | None = None
    # a number (every level and indicator), per level {primary = 0.5, junior = 0.45}, or per
    # indicator {key_per_100 = {primary = 0.5}, pe_art_per_100 = 0.45}
    max_cv: float | dict[Level, float] | dict[Indicator, float | dict[Level, float]] | None = None
    min_per_100: float | None = Field(None, ge=0)

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

    _check = field_validator("urban_to_rural_min", "rural_to_urban_min")(_share)


class Weights(_Section):
    balance: float = Field(100.0, ge=0)
    commute: float = Field(1.0, ge=0)
    moves: float = Field(0.0, ge=0)


class SolverSettings(_Section):
    time_limit_s: float = Field(60.0, gt=0)
    workers: int = Field(2, ge=1)
    seed: int = 0
    # Deterministic search (interleaved workers) and an optional budget of CP-SAT's
    # deterministic time that stops every run at the same point (see README).
    deterministic: bool = True
    work_limit: float | None = Field(None, gt=0)
    # Keep only each teacher's nearest permitted schools: 0 = all; unset = all unless the
    # model would exceed 200,000 candidate moves, then as many as fit (at least 10).
    max_candidates: int | None = Field(None, ge=0)


class Output(_Section):
    # Language of plan.xlsx, report.html and the text tables (en | zh); CSV column
    # names stay the contract's English ones, which every reader of a plan relies on.
    lang: Literal["en", "zh"] = "en"
    # Encoding of every CSV a plan folder holds: utf-8-sig and gb18030 open correctly
    # in Excel on a Chinese system.
    csv_encoding: Literal["utf-8", "utf-8-sig", "gb18030"] = "utf-8"


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

    # Where the scenario file lives; not a key of the file.
    source: Path | None = Field(None, exclude=True)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def as_of(self) -> dt.date:
        return self.scenario.as_of

    def resolved(self) -> dict[str, Any]:
        """The scenario with every default filled in, as plain JSON-able data."""
        return self.model_dump(mode="json", exclude={"source"})

    def with_solver(self, **changes: Any) -> Scenario:
        """A copy with some ``[solver]`` settings changed (``None`` values ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        return self.model_copy(update={"solver": self.solver.model_copy(update=changes)})


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


def _problems(err: ValidationError, file: str) -> list[Problem]:
    out = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not isinstance(p, int))
        key = ".".join(str(p) for p in loc)
        if e["type"] == "extra_forbidden":
            known = [k for k in _known_keys(Scenario, loc) if k != "source"]
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.0)
            hint = f"; did you mean '{'.'.join([*map(str, loc[:-1]), close[0]])}'?" if close else ""
            out.append(Problem(file=file, key=key, message=f"unknown key{hint}"))
        else:
            out.append(
                Problem(
                    file=file,
                    key=key,
                    message=e["msg"],
                    value=e.get("input") if not isinstance(e.get("input"), dict) else None,
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
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(file=str(path), message=f"not valid TOML: {exc}")) from None
    return parse_scenario(raw, base=path.parent, file=str(path))


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
