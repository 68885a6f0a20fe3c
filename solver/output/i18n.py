"""The message catalogue: every user-facing label of the outputs in English and Chinese.

English is the default. One place holds the texts so that a translation is a change
here, not a hunt through the code. What is translated (``lang="zh"``):

- the headers, sheet names and fixed texts of ``plan.xlsx``, ``report.html`` and the
  input template (``lungang template``); column headers use the Chinese names the
  loaders accept, so a Chinese workbook reads back;
- code values shown to people (``primary`` -> 小学, ``key`` -> 骨干教师, ...);
- the titles, headers and code values of the text tables of ``lungang indicators``,
  ``explain``, ``diff`` and of an infeasible scenario's diagnosis
  (:mod:`solver.output.text_tables`);
- the batch's city workbook and report, a multi-year plan's top-level workbook and
  report;
- messages (:func:`message`): progress lines (phases, details, figures, quotas), the
  notes of the commands, and error messages (:func:`problem_text` for a located input
  problem: the loaders', the scenario checks', the output checks'), matched against
  the English templates of the catalogue.

What is not (yet): the sentences of ``explain.json`` (a person's reasons, and the
findings of a diagnosis, are generated in English and shown as they are unless a
template matches), and the column names of the plan's CSV files, which stay the
contract's English names because scripts, ``validate``, ``diff`` and ``--from`` read
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..input.data import KEY_LEVELS, LEVELS, LOCALITIES, ROLES, SUBJECTS, TIERS, TITLES
from ..input.loaders import TABLES

LANGS: tuple[str, ...] = ("en", "zh")

# ---------------------------------------------------------------------------------------
# Column headers: the Chinese names of input columns come from the loaders' aliases.

#: Chinese headers of output columns that are not input columns.
_COLUMNS_ZH: dict[str, str] = {
    "stream": "交流类别",
    "from_school": "原学校代码",
    "from_name": "原学校",
    "to_school": "新学校代码",
    "to_name": "新学校",
    "moved": "是否交流",
    "distance_km": "通勤距离（公里）",
    "primary_students": "小学在校生数",
    "principals": "校长",
    "vice_principals": "副校长",
    "teachers": "教师",
    "key_teachers": "骨干教师",
    "key_per_100": "每百名学生骨干教师数",
    "pe_art_per_100": "每百名学生体育艺术教师数",
    "qualified_per_100": "每百名学生高于规定学历教师数",
    "students_per_teacher": "生师比",
    "inflow": "调入人数",
    "outflow": "调出人数",
    "indicator": "指标",
    "cv": "差异系数",
    "max_cv": "差异系数上限",
    "meets": "是否达标",
    "standard_min": "国家标准值",
    "schools_below": "未达标准值学校数",
    "schools": "学校数",
    "term": "目标项",
    "weight": "权重",
    "value": "取值",
    "weighted": "加权值",
    "rule": "规则",
    "setting": "设定",
    "required": "要求",
    "achieved": "实际",
    "binding": "是否紧约束",
    "text": "说明",
    "decision": "决定",
    "alternative": "最优替代方案",
    "reasons": "理由",
    "permitted_schools": "可去学校数",
    "item": "项目",
    "detail": "详情",
    "column": "列",
    "table": "表",
    "meaning": "含义",
    "allowed": "允许取值",
    "level_part": "学段",
    "cv_before": "差异系数（交流前）",
    "cv_after": "差异系数（交流后）",
    "meets_before": "交流前达标",
    "meets_after": "交流后达标",
    "school": "学校",
    "count": "人数",
    "before": "交流前",
    "after": "交流后",
    # placement (派位): assignments.csv's columns and the public notice (公示名单)
    "points": "积分",
    "lottery_rank": "抽签序号",
    "wish_rank": "志愿序次",
    "notice_school": "调入学校代码",
    "notice_name": "姓名",
    "notice_subject": "学科",
    "notice_from": "原学校",
    "notice_to": "新学校",
    "notice_stint_years": "交流年限",
    "notice_points": "积分",
    "notice_wish_rank": "志愿序次",
    # [forms]: part-time service, guidance, post filling
    "home_school": "任职学校代码",
    "share": "份额（周工作量）",
    "form": "形式",
    "post_filling": "是否顶岗",
    "training_to_lead": "是否到龙头校交流",
    "shares_in": "兼职与指导份额（接收）",
    "shares_out": "兼职与指导份额（派出）",
}

_SIDE = {"before": {"en": "before", "zh": "交流前"}, "after": {"en": "after", "zh": "交流后"}}


def _input_aliases() -> dict[tuple[str, str], str]:
    """The first Chinese header the loaders accept for each (table, input column), and
    under ``("", column)`` the first over all tables."""
    out: dict[tuple[str, str], str] = {}
    for spec in TABLES:
        for c in spec.columns:
            zh = next((a for a in c.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), None)
            if zh:
                out[(spec.name, c.name)] = zh
                out.setdefault(("", c.name), zh)
    return out


_ALIASES: dict[tuple[str, str], str] | None = None


def column(name: str, lang: str = "en", table: str = "") -> str:
    """The header of column ``name`` (of input table ``table``, e.g. ``staff``: its
    ``name`` is 姓名, a school's 学校名称) in ``lang``.

    A name ending in ``_before`` or ``_after`` gets its side in brackets
    (``key_per_100_after`` -> ``每百名学生骨干教师数（交流后）``). Unknown names are
    returned as they are.
    """
    if lang != "zh":
        return name
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = _input_aliases()
    if name in _COLUMNS_ZH:
        return _COLUMNS_ZH[name]
    for key in ((table, name), ("", name)):
        if key in _ALIASES:
            return _ALIASES[key]
    for side in ("before", "after"):
        if name.endswith(f"_{side}"):
            return f"{column(name[: -len(side) - 1], lang, table)}（{_SIDE[side]['zh']}）"
    return name


#: English labels of columns for people (the report); headers of files keep the names.
_LABELS_EN: dict[str, str] = {
    "school_id": "school",
    "name": "name",
    "students": "students",
    "teachers": "teachers",
    "key_teachers": "key teachers",
    "key_per_100": "key / 100",
    "pe_art_per_100": "PE-art / 100",
    "qualified_per_100": "qualified / 100",
    "students_per_teacher": "students per teacher",
    "staff_id": "staff",
    "from_school": "from",
    "to_school": "to",
    "distance_km": "km",
    "cv_before": "CV before",
    "cv_after": "CV after",
    "binding": "binding",
    "inflow": "in",
    "outflow": "out",
}


#: Short Chinese labels for narrow report tables.
_LABELS_ZH: dict[str, str] = {
    "key_per_100": "骨干/百生",
    "pe_art_per_100": "体艺/百生",
    "qualified_per_100": "高学历/百生",
    "students_per_teacher": "生师比",
}


def label(name: str, lang: str = "en", table: str = "") -> str:
    """A column's label for people to read: :func:`column` in Chinese, a plain English
    label otherwise (``key_per_100_after`` -> ``key / 100 after``)."""
    if lang == "zh":
        for side in ("", "_before", "_after"):
            base = name[: len(name) - len(side)] if side else name
            if base in _LABELS_ZH and (not side or name.endswith(side)):
                sfx = f"（{_SIDE[side[1:]]['zh']}）" if side else ""
                return _LABELS_ZH[base] + sfx
        return column(name, lang, table)
    if name in _LABELS_EN:
        return _LABELS_EN[name]
    for side in ("before", "after"):
        if name.endswith(f"_{side}"):
            return f"{label(name[: -len(side) - 1], lang)} {side}"
    return name.replace("_", " ")


def columns(names: Iterable[str], lang: str = "en", table: str = "") -> list[str]:
    """:func:`column` of each name."""
    return [column(n, lang, table) for n in names]


# ---------------------------------------------------------------------------------------
# Code values.

#: Chinese for code values, by the column they appear in (``None``: any column).
_CODES_ZH: dict[str, dict[str, str]] = {
    "level": {"primary": "小学", "junior": "初中", "nine_year": "九年一贯制"},
    "locality": {"urban": "城区", "town": "镇区", "rural": "乡村"},
    "tier": {"strong": "优质", "average": "一般", "weak": "薄弱"},
    "role": {"principal": "校长", "vice_principal": "副校长", "teacher": "教师"},
    "key_level": {"none": "无", "district": "区级", "municipal": "市级", "special": "特级"},
    "title": {
        "none": "无",
        "junior": "初级",
        "intermediate": "中级",
        "senior": "高级",
        "professor": "正高级",
    },
    "gender": {"F": "女", "M": "男"},
    "subject": {
        "chinese": "语文",
        "math": "数学",
        "english": "英语",
        "science": "科学",
        "physics": "物理",
        "chemistry": "化学",
        "biology": "生物",
        "history": "历史",
        "geography": "地理",
        "morality": "道德与法治",
        "pe": "体育",
        "music": "音乐",
        "art": "美术",
        "it": "信息技术",
        "psychology": "心理健康",
        "other": "其他",
    },
    "action": {"stay": "留任", "move": "交流", "to": "指定"},
    "stream": {"principal": "干部", "key": "骨干教师", "ordinary": "普通教师"},
    "status": {
        "optimal": "最优",
        "feasible": "可行",
        "infeasible": "无可行方案",
        "no_plan": "未找到方案",
    },
    "indicator": {
        "key_per_100": "骨干教师",
        "pe_art_per_100": "体育艺术教师",
        "qualified_per_100": "高学历教师",
    },
    "bool": {"true": "是", "false": "否"},
    "form": {"part_time": "兼职", "guidance": "学科指导"},
    "term": {
        "balance": "均衡",
        "commute": "通勤",
        "moves": "交流人数",
        "wish": "志愿",
        "wishes": "志愿",
    },
    "rule": {
        "teacher_rotation_min": "教师交流比例下限",
        "key_share_of_rotated_min": "骨干教师占比下限",
        "principal_rotation_min": "干部交流比例下限",
        "school_outflow_max": "单校调出上限",
        "subject_staffing": "学科编制",
        "posts_filled": "干部职数",
        "commute": "通勤距离上限",
        "scope": "交流范围",
        "urban_to_rural_min": "城镇到乡村比例下限",
        "rural_to_urban_min": "乡村到城镇比例下限",
        "strong_to_weak_min": "优质到薄弱比例下限",
        "pins": "锁定决定",
        "coverage_subjects": "全学科覆盖",
        "part_time": "兼职与学科指导",
        "training_to_lead": "青年教师到龙头校交流",
        "max_cv": "差异系数上限",
        "min_per_100": "每百名学生下限",
    },
}

_CODES_EN: dict[str, dict[str, str]] = {
    "stream": {"principal": "cadre", "key": "key teacher", "ordinary": "ordinary teacher"},
    "indicator": {
        "key_per_100": "key teachers",
        "pe_art_per_100": "PE and art teachers",
        "qualified_per_100": "above-standard qualifications",
    },
    "level": {"primary": "primary", "junior": "junior", "nine_year": "nine-year"},
    "bool": {"true": "yes", "false": "no"},
}


def code(kind: str, value: object, lang: str = "en") -> str:
    """A code value (``level`` ``primary``, ``stream`` ``key``, ...) as people read it."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    v = "" if value is None else str(value)
    table = (_CODES_ZH if lang == "zh" else _CODES_EN).get(kind, {})
    return table.get(v, v)


def code_list(kind: str, lang: str = "en") -> list[str]:
    """Every value of a code list as the input template offers it (``en``: the codes)."""
    codes = {
        "level": LEVELS,
        "locality": LOCALITIES,
        "tier": TIERS,
        "role": ROLES,
        "subject": SUBJECTS,
        "key_level": KEY_LEVELS,
        "title": TITLES,
        "gender": ("F", "M"),
        "action": ("stay", "move", "to"),
        "bool": ("true", "false"),
    }[kind]
    if lang != "zh":
        return list(codes)
    return [_CODES_ZH[kind][c] for c in codes]


# ---------------------------------------------------------------------------------------
# Sheet names and fixed texts.

_TEXTS: dict[str, tuple[str, str]] = {
    # plan.xlsx sheets (Excel allows 31 characters)
    "sheet.summary": ("summary", "概况"),
    "sheet.part_time": ("part_time", "兼职与指导"),
    "sheet.assignments": ("assignments", "交流名单"),
    "sheet.schools": ("schools", "学校"),
    "sheet.coefficients": ("coefficients", "差异系数"),
    "sheet.terms": ("terms", "目标项"),
    "sheet.rules": ("rules", "规则"),
    "sheet.people": ("people", "人员说明"),
    "sheet.diagnosis": ("diagnosis", "诊断"),
    "sheet.notice": ("notice", "公示名单"),
    # template sheets: the input sheet names the loaders accept
    "sheet.in.schools": ("schools", "学校"),
    "sheet.in.staff": ("staff", "教职工"),
    "sheet.in.demand": ("demand", "需求"),
    "sheet.in.pins": ("pins", "锁定"),
    "sheet.in.history": ("history", "任职经历"),
    "sheet.in.preferences": ("preferences", "志愿"),
    "sheet.notes": ("notes", "填写说明"),
    "sheet.codes": ("codes", "代码表"),
    # summary sheet and report
    "scenario": ("Scenario", "方案"),
    "as_of": ("As of", "基准日期"),
    "status": ("Status", "求解状态"),
    "objective": ("Objective", "目标值"),
    "best_bound": ("Best bound", "最优下界"),
    "gap": ("Gap", "最优性差距"),
    "bound_scope": ("Bound holds for", "下界适用范围"),
    "kept_only": (
        "bound and gap hold for the kept candidate moves only",
        "下界与差距仅针对保留的候选调动",
    ),
    "solve_seconds": ("Solve seconds", "求解用时（秒）"),
    "staff": ("Staff", "教职工人数"),
    "schools_n": ("Schools", "学校数"),
    "eligible": ("Eligible", "应交流人数"),
    "moved": ("Moved", "交流人数"),
    "moved_of": ("{moved} of {eligible} eligible move", "{eligible} 名应交流人员中 {moved} 人交流"),
    "moved_by_stream": ("Moved by stream", "各类别交流人数"),
    "quotas": ("Quotas met", "比例要求达成"),
    "quotas_met": ("{met} of {n} met", "{n} 项中达成 {met} 项"),
    "coef_title": (
        "Difference coefficients (max 0.50 primary, 0.45 junior)",
        "校际差异系数（小学 ≤ 0.50，初中 ≤ 0.45）",
    ),
    "meets": ("meets", "达标"),
    "over": ("over", "超标"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "stays": ("stays", "留任"),
    "moves_to": ("moves to {school}", "交流至 {school}"),
    "not_analysed": ("not analysed", "未分析"),
    # placement (派位)
    "placement.mechanism": ("Placement mechanism", "派位方式"),
    "placement.lottery_seed": ("Lottery seed", "抽签种子"),
    "placement.justified_envy": ("Justified-envy pairs", "合理嫉妒对数"),
    "placement.blocking_pairs": ("Blocking pairs", "阻塞对数"),
    "placement.first_wish": ("Ordinary movers given their first wish", "获第一志愿的普通教师"),
    "placement.notice_title": (
        "Public notice of the placement (公示)",
        "交流轮岗派位公示名单",
    ),
    # report
    "report.title": ("Rotation plan", "交流轮岗方案"),
    "report.generated": ("Made by lungang {version}", "由 lungang {version} 生成"),
    "report.kpis": ("Key figures", "主要指标"),
    "report.chart": ("Each school's indicator before and after", "各校指标交流前后对比"),
    "report.chart_note": (
        "per 100 students; the dashed line is the national standard value",
        "每百名学生；虚线为国家标准值",
    ),
    "report.flows": ("Flows", "流向"),
    "report.flows_locality": (
        "Moves by locality (from → to)",
        "按城乡类型的交流流向（调出 → 调入）",
    ),
    "report.flows_tier": (
        "Moves by school tier (from → to)",
        "按办学水平的交流流向（调出 → 调入）",
    ),
    "report.key_by": ("Key teachers by locality and tier", "骨干教师按城乡类型和办学水平分布"),
    "report.map": ("Map of schools and moves", "学校与交流地图"),
    "report.map_note": (
        "line width: people moving between two schools; no map tiles are loaded",
        "线宽：两校之间交流人数；不加载在线地图",
    ),
    "report.table": ("Schools", "学校一览"),
    "report.table_note": ("click a header to sort", "点击表头排序"),
    "report.from_to": ("from \\ to", "调出 \\ 调入"),
    "report.total": ("total", "合计"),
    "report.rules": ("Rules", "规则"),
    "report.moves": ("Who moves", "交流人员名单"),
    "report.part_time": (
        "Part-time service and subject guidance",
        "兼职交流与学科指导",
    ),
    "report.part_time_note": (
        "teachers keep their post and give these shares of their week; schools count "
        "them as teacher-equivalents",
        "教师保留原岗位，按所列份额到其他学校任教或指导；各校指标按折合教师数计算",
    ),
    "report.post_filling": (
        "{n} of the moves fill posts (顶岗), apart from the rotation",
        "其中 {n} 人次为顶岗，不计入交流比例",
    ),
    "report.training_to_lead": (
        "{n} young teachers move to the lead school of their education group "
        "(training_to_lead; those below rotation tenure count in no rotation quota)",
        "{n} 名青年教师到本教育集团龙头校交流（training_to_lead；未满交流年限者不计入交流比例）",
    ),
    "report.terms": ("Objective terms", "目标项"),
    "report.diagnosis": ("Why no plan exists", "无可行方案的原因"),
    "report.legend_before": ("before", "交流前"),
    "report.legend_after": ("after", "交流后"),
    "report.standard": ("standard", "标准值"),
    "report.threshold": ("threshold", "上限"),
    "report.other_moves": ("other moves", "其他交流"),
    "report.moves_n": ("{n} moves", "{n} 人次交流"),
    "report.indicator": ("Indicator", "指标"),
    # the text tables of `lungang indicators`
    "ind.coef_title": (
        "{name}: difference coefficients (max 0.50 primary, 0.45 junior)",
        "{name}：校际差异系数（小学 ≤ 0.50，初中 ≤ 0.45）",
    ),
    "ind.before": ("before", "交流前"),
    "ind.after": ("after", "交流后"),
    "ind.indicator": ("indicator", "指标"),
    "ind.level": ("level", "学段"),
    "ind.cv": ("CV {side}", "差异系数（{side}）"),
    "ind.max": ("max", "上限"),
    "ind.below": ("below std {side}", "未达标准值学校（{side}）"),
    "ind.ok": (" ok", " 达标"),
    "ind.over": (" over", " 超标"),
    "ind.schools_title": (
        "schools per 100 students ({arrow}; * under the national standard value)",
        "各校每百名学生指标（{arrow}；* 低于国家标准值）",
    ),
    "ind.school": ("school", "学校"),
    "ind.students": ("students", "在校生数"),
    "ind.pupils/teacher": ("pupils/teacher", "生师比"),
    # template
    "tpl.sample": ("sample row: replace it", "示例行：请替换"),
    "tpl.not_in_list": (
        "Not a value of the list (see the notes sheet); keep it anyway?",
        "不是列表中的值（见填写说明）；仍要保留吗？",
    ),
    "tpl.required": ("required", "必填"),
    "tpl.optional": ("optional", "选填"),
    "tpl.notes_title": (
        "How to fill in this workbook: one sheet per table, one row per school or person; "
        "drop-downs offer the codes; delete the sample rows; save as .xlsx and run "
        "`lungang check` on a scenario whose `data` names this file.",
        "填写说明：每张表一个工作表，每行一所学校或一名教职工；下拉框列出可选代码；"
        "删除示例行后另存为 .xlsx，在方案文件的 `data` 中指定本文件，并运行 `lungang check` 检查。",
    ),
}


def text(key: str, lang: str = "en", **fmt: object) -> str:
    """The fixed text ``key`` in ``lang``, formatted with ``fmt``."""
    en, zh = _TEXTS[key]
    s = zh if lang == "zh" else en
    return s.format(**fmt) if fmt else s


def sheet(name: str, lang: str = "en") -> str:
    """The name of plan sheet ``name`` (``assignments``, ``schools``, ...) in ``lang``."""
    return text(f"sheet.{name}", lang)


def check_lang(lang: str) -> str:
    """``lang`` if it is a supported language, else ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


# ---------------------------------------------------------------------------------------
# Outputs block R: the batch's city workbook and report (batch.xlsx, batch.html).

#: Chinese headers of the columns of ``batch.csv`` (the coefficient columns are composed).
_BATCH_COLUMNS_ZH: dict[str, str] = {
    "scenario": "方案",
    "status": "求解状态",
    "schools": "学校数",
    "staff": "教职工人数",
    "eligible": "应交流人数",
    "moved": "交流人数",
    "moved_principal": "交流干部数",
    "moved_key": "交流骨干教师数",
    "moved_ordinary": "交流普通教师数",
    "objective": "目标值",
    "bound": "最优下界",
    "gap": "最优性差距",
    "bound_scope": "下界适用范围",
    "build_seconds": "建模用时（秒）",
    "search_seconds": "搜索用时（秒）",
    "task_seconds": "任务用时（秒）",
    "peak_memory_mb": "内存峰值（MB）",
    "worker": "工作进程",
    "retried_from": "重试前的工作进程",
    "resumed": "沿用上次结果",
    "folder": "文件夹",
    "file": "方案文件",
    "message": "说明",
}

_BATCH_STATUS_ZH: dict[str, str] = {
    "bad_input": "输入有误",
    "crashed": "进程崩溃",
    "error": "意外错误",
    "unexpected": "意外错误",
    "no_plan": "未找到方案",
}


def batch_column(name: str, lang: str = "en") -> str:
    """The header of ``batch.csv`` column ``name`` in ``lang`` (English: the name itself;
    ``cv_key_per_100_primary_after`` -> ``差异系数：骨干教师（小学，交流后）``)."""
    if lang != "zh":
        return name
    if name in _BATCH_COLUMNS_ZH:
        return _BATCH_COLUMNS_ZH[name]
    if name.startswith("cv_"):
        body, side = name[3:].rsplit("_", 1)
        ind, lvl = body.rsplit("_", 1)
        ind_zh, lvl_zh = code("indicator", ind, lang), code("level", lvl, lang)
        return f"差异系数：{ind_zh}（{lvl_zh}，{_SIDE[side]['zh']}）"
    return column(name, lang)


def batch_status(status: object, lang: str = "en") -> str:
    """A batch row's status as people read it (``lang="en"``: the code itself)."""
    s = "" if status is None else str(status)
    if lang != "zh":
        return s
    return _BATCH_STATUS_ZH.get(s, code("status", s, lang))


_TEXTS.update(
    {
        "sheet.batch": ("batch", "全市汇总"),
        "batch.city": ("city (total)", "全市合计"),
        "batch.planned_of": ("{planned} of {n} planned", "{n} 个区中 {planned} 个有方案"),
        "batch.title": ("Batch of {n} districts", "{n} 个区的批量方案"),
        "batch.kpis": ("The city", "全市"),
        "batch.districts": ("Districts", "各区"),
        "batch.districts_note": (
            "click a header to sort; a district's name opens its own report",
            "点击表头排序；点击区名打开该区的报告",
        ),
        "batch.planned": ("Districts with a plan", "有方案的区"),
        "batch.without": ("Without a plan", "无方案的区"),
        "batch.report": ("report", "报告"),
        "batch.diagnosis": ("diagnosis", "诊断"),
        "batch.link": ("open", "打开"),
    }
)

# Outputs block R: the top-level plan.xlsx and report.html of a multi-year plan.
_TEXTS.update(
    {
        "sheet.years": ("years", "各学年"),
        "sheet.assignments_year": ("assignments year {year}", "交流名单（第{year}学年）"),
        "hz.title": ("Multi-year rotation plan", "多学年交流轮岗方案"),
        "hz.method": ("Method", "求解方式"),
        "hz.method.joint": ("all years in one model", "各学年联合求解"),
        "hz.method.myopic": ("each year alone, in turn", "逐学年依次求解"),
        "hz.method.staged": (
            "year by year, coverage carried forward",
            "逐学年求解，覆盖进度逐年结转",
        ),
        "hz.years": ("Years", "学年数"),
        "hz.year": ("Year {year}", "第{year}学年"),
        "hz.binding": ("binding", "确定执行"),
        "hz.provisional": ("provisional", "预安排"),
        "hz.year_report": ("this year's full report", "本学年完整报告"),
        "hz.select": ("Year by year", "分学年查看"),
        "hz.movable": ("People the coverage counts", "覆盖率统计人数"),
        "hz.covered": ("Of them, moved within the horizon", "其中规划期内交流人数"),
        "hz.required": ("required", "要求人数"),
        "hz.coverage_min": ("Coverage target", "覆盖率要求"),
        "hz.reached": ("reached", "是否达到"),
        "hz.coverage": ("Coverage per year", "各学年覆盖率"),
        "hz.coverage_note": (
            "share of the {movable} people the coverage rule counts who have moved by the "
            "end of each year; the dashed line is the target ({coverage_min}: {required} "
            "people by the last year)",
            "规则统计的 {movable} 人中到各学年末已交流的比例；虚线为覆盖率要求"
            "（{coverage_min}：到最后一学年 {required} 人）",
        ),
        "hz.col.year": ("year", "学年"),
        "hz.col.as_of": ("as of", "基准日期"),
        "hz.col.binding": ("binding", "确定执行"),
        "hz.col.eligible": ("eligible", "应交流人数"),
        "hz.col.moved": ("moved", "交流人数"),
        "hz.col.returns": ("returns", "期满返回人数"),
        "hz.col.covered_so_far": ("covered so far", "累计已交流人数"),
        "hz.col.movable": ("counted", "统计人数"),
        "hz.col.coverage_so_far": ("coverage so far", "累计覆盖率"),
        "hz.col.required": ("required by the end", "期末要求人数"),
    }
)


# ---------------------------------------------------------------------------------------
# Outputs block R: messages (progress lines, notes, error messages) in Chinese.
#
# Messages are made in English where they arise (the loaders, the scenario's checks, the
# search), in lower layers that know nothing of languages; the command line shows them
# through :func:`message`, which matches a message against the English templates below
# and fills the Chinese one. A placeholder ``{name}`` takes the text as it is,
# ``{name:col}`` translates a column name (:func:`column`), ``{name:msg}`` translates the
# text again (a message inside a message). A message no template matches is shown in
# English: a new message reads as before until its template is added here.

_MESSAGES: list[tuple[str, str]] = [
    # --- the loaders: cells, columns, files
    ("missing value", "缺少取值"),
    ("missing value: required for nine_year schools", "缺少取值：九年一贯制学校必填"),
    ("out of range", "超出范围"),
    ("not an integer", "不是整数"),
    ("not a number", "不是数字"),
    ("not a true/false value", "不是“是/否”值"),
    ("not a date", "不是日期"),
    ("bad value", "取值有误"),
    ("required column '{col}' (or {aliases}) is missing", "缺少必填列“{col}”（或 {aliases}）"),
    ("required column '{col}' is missing", "缺少必填列“{col}”"),
    ("failed check {check}", "未通过检查 {check}"),
    ("duplicate {what:col} {label}: on rows {rows}", "重复的{what} {label}：见第 {rows} 行"),
    (
        "column {a} '{h}' repeats column {b} '{first}' (the same header): keep one",
        "第 {a} 列“{h}”与第 {b} 列“{first}”重复（表头相同）：只保留一列",
    ),
    (
        "column {a} '{h}' repeats column {b} '{first}' (both mean '{name}'): keep one",
        "第 {a} 列“{h}”与第 {b} 列“{first}”重复（都表示“{name}”）：只保留一列",
    ),
    ("unknown {what:col}", "未知的{what}"),
    ("{n} cells, more than the header's {w}", "{n} 个单元格，多于表头的 {w} 个"),
    ("cannot open workbook: {why}", "无法打开工作簿：{why}"),
    ("cannot read: {why}", "无法读取：{why}"),
    ("empty: no header row", "空文件：没有表头行"),
    ("no {table} rows", "没有{table}数据行"),
    ("required {what} not found", "未找到必需的{what}"),
    (
        "expected a folder of CSV files or an .xlsx workbook",
        "应为 CSV 文件所在的文件夹或 .xlsx 工作簿",
    ),
    ("not a valid CSV file: {why}", "不是有效的 CSV 文件：{why}"),
    # --- what a cell should hold
    ("one of {choices}", "以下之一：{choices}"),
    ("true or false (also 1/0, yes/no, 是/否)", "true 或 false（也可填 1/0、yes/no、是/否）"),
    ("a date YYYY-MM-DD", "日期，格式 YYYY-MM-DD"),
    ("an integer between {lo} and {hi}", "{lo} 到 {hi} 之间的整数"),
    ("a number between {lo} and {hi}", "{lo} 到 {hi} 之间的数"),
    ("an integer >= {lo}", "不小于 {lo} 的整数"),
    ("an integer > {lo}", "大于 {lo} 的整数"),
    ("a number >= {lo}", "不小于 {lo} 的数"),
    ("a number > {lo}", "大于 {lo} 的数"),
    ("an integer", "整数"),
    ("a number", "数字"),
    ("a value", "一个取值"),
    ("a unique {what:col}", "唯一的{what}"),
    ("a {col:col} of {file}", "{file} 中已有的{col}"),
    ("a date on or before {date}", "不晚于 {date} 的日期"),
    ("retirement_date, or both birth_date and gender", "退休日期，或同时填写出生日期和性别"),
    ("both home_lat and home_lon, or neither", "住址纬度和经度都填或都不填"),
    (
        "an end_date on or after start_date, or empty (ongoing)",
        "不早于开始日期的结束日期，或留空（仍在任）",
    ),
    ("at most {n} cells, as in the header", "最多 {n} 个单元格，与表头一致"),
    ("the school_id the person must go to", "该人员必须去的学校代码"),
    (
        "an integer with 0 < junior_students < students (nine_year schools)",
        "整数，且 0 < 初中在校生数 < 在校生数（九年一贯制学校）",
    ),
    # --- the scenario file
    ("scenario file not found", "找不到方案文件"),
    ("not valid TOML: {why}", "不是有效的 TOML：{why}"),
    (
        "not UTF-8 text (a TOML file must be UTF-8): save it as UTF-8",
        "不是 UTF-8 文本（TOML 文件必须为 UTF-8）：请另存为 UTF-8",
    ),
    ("{n} bytes: too large for a scenario file", "{n} 字节：方案文件过大"),
    ("unknown key; did you mean '{key}'?", "未知的键；是否应为“{key}”？"),
    ("unknown key", "未知的键"),
    ("{a:msg}; or {b:msg}", "{a}；或{b}"),
    ("Input should be greater than or equal to {n}", "应大于或等于 {n}"),
    ("Input should be less than or equal to {n}", "应小于或等于 {n}"),
    ("Input should be greater than {n}", "应大于 {n}"),
    ("Input should be less than {n}", "应小于 {n}"),
    ("Input should be a finite number", "应为有限的数"),
    (
        "Input should be a valid number, unable to parse string as a number",
        "应为数字，无法把文本解析为数字",
    ),
    ("Input should be a valid number", "应为数字"),
    (
        "Input should be a valid integer, unable to parse string as an integer",
        "应为整数，无法把文本解析为整数",
    ),
    (
        "Input should be a valid integer, got a number with a fractional part",
        "应为整数，不能有小数",
    ),
    ("Input should be a valid integer", "应为整数"),
    ("Input should be a valid boolean", "应为 true 或 false"),
    ("Input should be a valid string", "应为文本"),
    ("Input should be a valid date", "应为日期"),
    ("Input should be a valid array", "应为数组"),
    ("Input should be a valid dictionary", "应为表"),
    ("Input should be '{choices}'", "应为 '{choices}'"),
    ("Field required", "必填"),
    ("must be a share between 0 and 1", "应为 0 到 1 之间的比例"),
    ("must be a date in the years {lo} to {hi}", "应为 {lo} 至 {hi} 年之间的日期"),
    ("must not hold control characters", "不能包含控制字符"),
    (
        "give `data` (a district folder or workbook) or `profile`",
        "请给出 `data`（区数据文件夹或工作簿）或 `profile`",
    ),
    (
        '`profile_district` names one district of profile = "city", and the city profile needs it',
        '`profile_district` 指定 profile = "city" 中的一个区，city 必须给出它',
    ),
    ("Value error, {why:msg}", "{why}"),
    # --- outputs that would touch an input (solver/output/safety.py)
    ("exists and is not empty; use --force to replace it", "已存在且不为空；用 --force 替换"),
    ("exists and is not a folder", "已存在且不是文件夹"),
    ("is a folder: give a file name", "是文件夹：请给出文件名"),
    ("is the input {item}: an output never replaces an input", "就是输入 {item}：输出从不替换输入"),
    (
        "lies inside the input folder {item}: choose a file outside it",
        "位于输入文件夹 {item} 中：请选择其外的文件",
    ),
    ("contains the input {item}: it would be replaced", "包含输入 {item}：它会被替换"),
    (
        "lies inside the data folder {item}: choose a folder outside it",
        "位于数据文件夹 {item} 中：请选择其外的文件夹",
    ),
    ("is the district's data: an output never replaces an input", "就是本区数据：输出从不替换输入"),
    (
        "contains the current folder: choose a new folder for the output",
        "包含当前文件夹：请为输出选择新文件夹",
    ),
    (
        "the district folder {folder} would overwrite the input {item}",
        "区文件夹 {folder} 会覆盖输入 {item}",
    ),
    ("--out names a file, not a folder", "--out 指向文件而非文件夹"),
    # --- the search and the diagnosis
    (
        "no plan found within the time limit ({s} s): raise [solver] time_limit_s",
        "在时间限制（{s} 秒）内未找到方案：请调高 [solver] time_limit_s",
    ),
    # --- phases and notes of the progress lines
    ("eligibility, permitted moves, counting checks", "应交流人员、可去学校、计数检查"),
    ("a plan of paired exchanges", "成对互换的初始方案"),
    ("the LP relaxation of {n} candidate moves", "{n} 个候选交流的线性松弛"),
    (
        "LP bound {b}; searching the {n} moves the LP uses",
        "线性松弛下界 {b}；在其用到的 {n} 个交流中搜索",
    ),
    # (pricing the pruned moves: solver.search.pricing, engine.SCOPE_WORDS)
    (
        "LP bound of every permitted move {b}, {k} pruned moves priced in; "
        "searching the {n} moves the LP uses",
        "全部可行交流的线性松弛下界 {b}，补回 {k} 个剪除的交流；在其用到的 {n} 个交流中搜索",
    ),
    (
        "Lagrangian bound of every permitted move {b}, {k} pruned moves priced in; "
        "searching the {n} moves the LP uses",
        "全部可行交流的拉格朗日下界 {b}，补回 {k} 个剪除的交流；在其用到的 {n} 个交流中搜索",
    ),
    (
        "LP bound of the kept candidate moves only {b}, {k} pruned moves priced in; "
        "searching the {n} moves the LP uses",
        "仅对保留候选交流成立的线性松弛下界 {b}，补回 {k} 个剪除的交流；在其用到的 {n} 个交流中搜索",
    ),
    (
        "pricing round {r}: LP {v}, {k} moves with negative reduced cost, {m} added",
        "定价第 {r} 轮：线性松弛 {v}，{k} 个交流的约化成本为负，补回 {m} 个",
    ),
    (
        "the kept moves' LP is infeasible: {n} nearest pruned moves added",
        "保留交流的线性松弛不可行：补回 {n} 个最近的剪除交流",
    ),
    (
        "{status:msg}: objective {o}, bound {b}, gap {g}, {moved} of {n} eligible move, {s} s"
        "\nnote: the bound and the gap hold only for the candidate moves the model kept "
        "(each teacher's nearest permitted schools), not for every move the rules permit",
        "{status}：目标值 {o}，下界 {b}，差距 {g}，{n} 名应交流人员中 {moved} 人交流，用时 {s} 秒"
        "\n注意：下界与差距仅针对模型保留的候选交流（每位教师最近的可去学校），"
        "并非规则允许的全部交流",
    ),
    (
        "the LP did not finish; searching the {n} moves of the warm start",
        "线性松弛未完成；在初始方案的 {n} 个交流中搜索",
    ),
    (
        "the LP did not finish; searching the {n} moves around the last plan",
        "线性松弛未完成；在上一方案附近的 {n} 个交流中搜索",
    ),
    ("restricted plan {v}; searching the full model from it", "受限方案 {v}；由此搜索全模型"),
    (
        "restricted optimum {v} above the bound; widened to the {n} moves of least reduced cost",
        "受限模型最优值 {v} 高于下界；扩大到约化成本最小的 {n} 个交流",
    ),
    (
        "plan within gap_limit {p}% of the bound: search stopped",
        "方案与下界的差距已在 gap_limit {p}% 以内：停止搜索",
    ),
    ("the full model: {n} candidate moves", "全模型：{n} 个候选交流"),
    ("{n} candidate moves", "{n} 个候选交流"),
    ("the LP relaxation under the holds", "保持已定项下的线性松弛"),
    ("isolating the conflicting rules (budget {s} s)", "查找相互冲突的规则（限时 {s} 秒）"),
    (
        "the smallest change of each rule that helps (budget {s} s)",
        "每条规则能使方案可行的最小调整（限时 {s} 秒）",
    ),
    ("explaining {n} decisions (budget {s} s)", "解释 {n} 项决定（限时 {s} 秒）"),
    ("re-plan stage 1: the fewest changed decisions", "重新规划第 1 阶段：改动最少的决定"),
    ("re-plan stage 2: the objective, changes held", "重新规划第 2 阶段：目标值，保持改动"),
    (
        "LP-guided search found no plan; searching the full model",
        "线性松弛引导的搜索未找到方案；搜索全模型",
    ),
    (
        "the LP guide did not finish in time: the plan is the warm start's",
        "线性松弛未按时完成：方案为初始方案",
    ),
    (
        "the LP-guided search found no plan in time: the plan is the warm start's",
        "线性松弛引导的搜索未按时找到方案：方案为初始方案",
    ),
    (
        "the LP-guided search found no plan; searching the {n} moves of the warm start",
        "线性松弛引导的搜索未找到方案；在初始方案的 {n} 个调动中搜索",
    ),
    (
        "solving '{name}': {n} schools, {m} staff, {s} s in all",
        "求解“{name}”：{n} 所学校，{m} 名教职工，共 {s} 秒",
    ),
    (
        "{status:msg}: objective {o}, bound {b}, gap {g}, {moved} of {n} eligible move, {s} s",
        "{status}：目标值 {o}，下界 {b}，差距 {g}，{n} 名应交流人员中 {moved} 人交流，用时 {s} 秒",
    ),
    ("{a} s of {b} s used", "已用 {a} 秒（共 {b} 秒）"),
    ("plan written to {out}", "方案已写入 {out}"),
    ("horizon plan written to {out}", "多学年方案已写入 {out}"),
    ("written to {out}", "已写入 {out}"),
    ("written: {files}", "已写入：{files}"),
    ("template written to {out}", "模板已写入 {out}"),
    (
        "ok: '{name}': {n} schools, {m} staff, {e} eligible",
        "通过：“{name}”：{n} 所学校，{m} 名教职工，{e} 名应交流",
    ),
    (
        "planning '{name}' over {n} year(s): {s} schools, {m} staff",
        "规划“{name}”，共 {n} 个学年：{s} 所学校，{m} 名教职工",
    ),
    (
        "analysis: {a} of {n} people not analysed within {s} s (explain.json lists them as not "
        "analysed; `lungang explain` analyses them later)",
        "分析：{n} 人中有 {a} 人未在 {s} 秒内分析（explain.json 中标为未分析；可稍后用 "
        "`lungang explain` 分析）",
    ),
    (
        "{a} of {n} people not analysed within {s} s (give a larger --time-limit)",
        "{n} 人中有 {a} 人未在 {s} 秒内分析（请加大 --time-limit）",
    ),
    (
        "the plan breaks {n} rule instance(s) under these data and rules (lungang validate lists them)",
        "在当前数据和规则下，方案违反 {n} 处规则（lungang validate 列出它们）",
    ),
    # --- the rules' summaries of `explain` (solver/analysis/explain.py)
    (
        "{a} of {n} eligible teachers move; at least {m} required",
        "{n} 名应交流教师中 {a} 人交流；至少需要 {m} 人",
    ),
    (
        "{a} key teachers move; at least {m} required ({s} of {n} eligible key teachers)",
        "{a} 名骨干教师交流；至少需要 {m} 人（{n} 名应交流骨干教师的 {s}）",
    ),
    (
        "{a} key teachers move; at least {m} required ({s} of the {n} moved teachers)",
        "{a} 名骨干教师交流；至少需要 {m} 人（{n} 名交流教师的 {s}）",
    ),
    (
        "{a} of {n} eligible principals and vice principals move; at least {m} required",
        "{n} 名应交流校长、副校长中 {a} 人交流；至少需要 {m} 人",
    ),
    ("{n} school(s) lose as many teachers as the cap allows", "{n} 所学校的调出人数达到上限"),
    (
        "{n} (school, subject) head counts touched by moves, {m} at the edge of demand ± {s}",
        "交流涉及 {n} 个（学校，学科）人数，其中 {m} 个处于需求 ± {s} 的边界",
    ),
    (
        "{n} principal / vice principal moves, every post filled exactly (moves form exchanges)",
        "{n} 名校长、副校长交流，每个职位恰好有人（交流互换）",
    ),
    (
        "longest commute {a} km of max_km {m}; {n} mover(s) within 10% of it",
        "最远通勤 {a} 公里（上限 {m} 公里）；{n} 名交流人员在上限的 10% 以内",
    ),
    ("{n} eligible people have no school they may go to", "{n} 名应交流人员没有可去的学校"),
    (
        "{n} eligible people have no school they may go to ({why})",
        "{n} 名应交流人员没有可去的学校（{why}）",
    ),
    (
        "{a} of {n} moves out of urban/town schools go to rural ones; at least {m} required",
        "城镇学校调出的 {n} 人中 {a} 人去乡村学校；至少需要 {m} 人",
    ),
    (
        "{a} of {n} moves out of rural schools go to urban/town ones; at least {m} required",
        "乡村学校调出的 {n} 人中 {a} 人去城镇学校；至少需要 {m} 人",
    ),
    ("no pins", "没有锁定"),
    ("{text:msg} (and {n} more lines)", "{text}（另有 {n} 行）"),
    ("optimal", "最优"),
    ("feasible", "可行"),
    ("infeasible", "无可行方案"),
    ("no_plan", "未找到方案"),
    ("{term}: {rest:msg}", "{term}：{rest}"),
    ("{label:msg} ({i} of {n}, {r} after it)", "{label}（第 {i} 个，共 {n} 个，其后还有 {r} 个）"),
    ("objective {name}", "目标 {name}"),
    # [forms]: part-time service, guidance, coverage, post filling
    (
        "must be a multiple of 0.1 (shares are whole tenths of a week)",
        "须为 0.1 的整数倍（份额以周工作量的十分之一计）",
    ),
    (
        "training_to_lead needs {n} young teacher(s) at the lead school of their group but {m} "
        "teacher(s) hired within 5 years work at a group's other schools and {a} of them may "
        "move to its lead school; the others: {named}",
        "青年教师到龙头校交流（training_to_lead）须至少 {n} 人，但集团内非龙头校入职 5 年内的"
        "教师共 {m} 人，其中可调往本集团龙头校的 {a} 人；其余：{named}",
    ),
    (
        "training_to_lead needs {n} young teacher(s) at the lead school of their group but {m} "
        "teacher(s) hired within 5 years work at a group's other schools and {a} of them may "
        "move to its lead school",
        "青年教师到龙头校交流（training_to_lead）须至少 {n} 人，但集团内非龙头校入职 5 年内的"
        "教师共 {m} 人，其中可调往本集团龙头校的 {a} 人",
    ),
    (
        "training_to_lead needs {n} young teacher(s) at the lead school of their group ({m} such "
        "move(s) possible)",
        "青年教师到龙头校交流（training_to_lead）须至少 {n} 人（可行的此类调动 {m} 个）",
    ),
    (
        "staff {pid} guides {n} schools, guidance goes to one",
        "{pid} 指导 {n} 所学校，学科指导只能去一所",
    ),
    (
        "[forms] training_to_lead = {n} is feasible (now {m})",
        "[forms] training_to_lead = {n} 时可行（现为 {m}）",
    ),
    (
        "[forms] training_to_lead: even 0 has no plan: relax another rule named here",
        "[forms] training_to_lead：即使为 0 也无可行方案，请放宽此处列出的其他规则",
    ),
    (
        "{n} young teacher(s) move to the lead school of their group, training_to_lead needs {m}",
        "到本集团龙头校交流的青年教师 {n} 人，training_to_lead 要求 {m} 人",
    ),
    (
        "staff {pid}, a young teacher below rotation tenure, may move only to the lead school "
        "{school} of their group, not to {to}",
        "{pid} 为未满交流年限的青年教师，只能调往本集团龙头校 {school}，不能调往 {to}",
    ),
    (
        "summary.json counts {n} training moves to a lead school, the plan has {m}",
        "summary.json 记录到龙头校交流 {n} 人，方案中为 {m} 人",
    ),
    (
        "[forms] {keys} is not supported in multi-year plans yet: plan the year with `lungang "
        "solve`, or switch the forms off",
        "多年规划暂不支持 [forms] {keys}：请用 `lungang solve` 规划一年，或关闭这些交流形式",
    ),
    (
        "school {school} must have at least {m} teacher-equivalents of {subj} (coverage_subjects) "
        "but has {n} {subj2} teacher(s), {r} may move there and part_time is off; the nearest "
        "{subj3} teachers who could serve it: {named}",
        "学校 {school} 的{subj}须至少有 {m} 名折合教师（全学科覆盖），现有 {n} 名，可调入 {r} 名，"
        "且未开启兼职（part_time）；最近的可兼职{subj3}教师：{named}",
    ),
    (
        "school {school} must have at least {m} teacher-equivalents of {subj} (coverage_subjects) "
        "but has {n} {subj2} teacher(s), {r} may move there and part-time shares may reach it "
        "from {k} teacher(s) within max_km {km}; the nearest {subj3} teachers who could serve "
        "it: {named}",
        "学校 {school} 的{subj}须至少有 {m} 名折合教师（全学科覆盖），现有 {n} 名，可调入 {r} 名，"
        "通勤上限 {km} 公里内可兼职的教师 {k} 名；最近的可兼职{subj3}教师：{named}",
    ),
    # --- explain: a year of a multi-year plan, coverage (solver/analysis/coverage.py).
    (
        "scheduled for coverage: year {n} is the last year of the horizon in which they may "
        "move (coverage_min {v})",
        "为达到覆盖率而安排：第 {n} 学年是其在规划期内最后一个可交流的学年（coverage_min {v}）",
    ),
    (
        "counted toward the horizon's coverage (coverage_min {v}): may move in years "
        "{years:ids}, moves in year {n}",
        "计入规划期覆盖率（coverage_min {v}）：可在第 {years} 学年交流，安排在第 {n} 学年",
    ),
    (
        "moves in year {n} of the horizon, counted toward its coverage (coverage_min {v})",
        "安排在规划期第 {n} 学年交流，计入覆盖率（coverage_min {v}）",
    ),
    (
        "counted by the horizon's coverage (coverage_min {v}) but moves in none of its years "
        "(may move in years {years:ids})",
        "计入规划期覆盖率（coverage_min {v}），但规划期内未安排交流（可在第 {years} 学年交流）",
    ),
    # --- explain: a person's reasons and the findings they join (solver/analysis/explain.py).
    # Kinds: rule / subject / role (a code), msgs ("; "-joined findings), terms (term deltas).
    (
        "moving to {school} in exchange with {other} instead would change the objective by "
        "{delta} ({terms:terms})",
        "改为与 {other} 互换、调往 {school}，目标值将变化 {delta}（{terms}）",
    ),
    (
        "staying while {other} takes their place at {school} instead would change the "
        "objective by {delta} ({terms:terms})",
        "留任、由 {other} 到 {school} 接替，目标值将变化 {delta}（{terms}）",
    ),
    (
        "moving to {school} instead would change the objective by {delta} ({terms:terms})",
        "改为调往 {school}，目标值将变化 {delta}（{terms}）",
    ),
    (
        "staying instead would change the objective by {delta} ({terms:terms})",
        "改为留任，目标值将变化 {delta}（{terms}）",
    ),
    (
        "moving alone (cheapest: to {school}) would break {rule:rule}: {why:msgs}",
        "单独调出（代价最小：调往 {school}）将违反{rule}：{why}",
    ),
    ("staying alone would break {rule:rule}: {why:msgs}", "单独留任将违反{rule}：{why}"),
    (
        "every exchange tried would break {rule:rule}: {why:msgs}",
        "尝试过的每一种互换都将违反{rule}：{why}",
    ),
    (
        "nobody at {home} can take their place at {school}: every exchange would break "
        "{rule:rule}: {why:msgs}",
        "{home} 无人能到 {school} 接替：每一种互换都将违反{rule}：{why}",
    ),
    (
        "nobody of the same subject at the schools they may go to could take their place at "
        "{school}",
        "可调往的学校中没有同学科的人能到 {school} 接替",
    ),
    (
        "nobody of the same role at the schools they may go to could take their place at {school}",
        "可调往的学校中没有同岗位的人能到 {school} 接替",
    ),
    (
        "nobody at {home} of the same subject may go to {school} in their place",
        "{home} 没有同学科的人可以代替其调往 {school}",
    ),
    (
        "nobody at {home} of the same role may go to {school} in their place",
        "{home} 没有同岗位的人可以代替其调往 {school}",
    ),
    (
        "no single change of this decision, nor an exchange with someone at the other school, "
        "keeps every rule",
        "这项决定的任何单独改变、或与另一学校人员的任何互换，都无法满足全部规则",
    ),
    ("staying instead: objective {delta} ({terms:terms})", "改为留任：目标值 {delta}（{terms}）"),
    (
        "going to {school} instead: objective {delta} ({terms:terms})",
        "改为调往 {school}：目标值 {delta}（{terms}）",
    ),
    (
        "staying while {other} goes to {school} instead: objective {delta} ({terms:terms})",
        "改为留任、由 {other} 调往 {school}：目标值 {delta}（{terms}）",
    ),
    (
        "going to {to} while {other} goes to {school} instead: objective {delta} ({terms:terms})",
        "改为调往 {to}、由 {other} 调往 {school}：目标值 {delta}（{terms}）",
    ),
    ("no term changes", "各目标项均不变"),
    # --- a diagnosis: the changes that make the rules feasible (solver/search/diagnose.py)
    (
        "[{section}] {key} = {v} ({n} of {m} instead of {o}) is feasible",
        "[{section}] {key} = {v}（{m} 人中 {n} 人，而非 {o} 人）即可行",
    ),
    ("[{section}] {key} = {v} is feasible", "[{section}] {key} = {v} 即可行"),
    ("[{section}] {key} = {v} is feasible (now {o})", "[{section}] {key} = {v} 即可行（现为 {o}）"),
    ("[{section}] {key} removed is feasible", "去掉 [{section}] {key} 即可行"),
    ("[scope] same_level = false is feasible", "[scope] same_level = false 即可行"),
    (
        "[forms] part_time = true (teachers share their week with the uncovered schools) is "
        "feasible",
        "[forms] part_time = true（教师到未覆盖的学校兼职）即可行",
    ),
    # --- a diagnosis: its findings (solver/rules/precheck.py)
    (
        "teacher_rotation_min {v} needs {n} of {m} eligible teachers to move; at most {b} "
        "can: {why:msgs}",
        "教师交流比例下限 {v} 要求 {m} 名应交流教师中 {n} 人交流；最多 {b} 人能交流：{why}",
    ),
    (
        "key_share_of_rotated_min {v} ({basis}) needs {n} key teachers of {m} eligible key "
        "teachers to move; at most {b} can: {why:msgs}",
        "骨干教师占比下限 {v}（{basis}）要求 {m} 名应交流骨干教师中 {n} 人交流；最多 {b} 人能交流：{why}",
    ),
    (
        "key_share_of_rotated_min {v} ({basis}) needs {n} key teachers of the {m} teachers "
        "teacher_rotation_min moves to move; at most {b} can: {why:msgs}",
        "骨干教师占比下限 {v}（{basis}）要求教师交流比例下限所交流的 {m} 名教师中有 {n} 名骨干教师；"
        "最多 {b} 人能交流：{why}",
    ),
    (
        "principal_rotation_min {v} needs {n} of {m} eligible principals and vice principals "
        "to move; at most {b} can: {why:msgs}",
        "干部交流比例下限 {v} 要求 {m} 名应交流校长、副校长中 {n} 人交流；最多 {b} 人能交流：{why}",
    ),
    (
        "school_outflow_max {v} caps the leavers of {n} school(s) ({schools:ids})",
        "单校调出上限 {v} 限制了 {n} 所学校的调出人数（{schools}）",
    ),
    (
        "subject_staffing (tolerance {n}) lets a teacher leave only if one of the same subject "
        "can come in ({subjects:ids})",
        "学科编制（容差 {n}）只允许在有同学科教师调入时调出（{subjects}）",
    ),
    ("{n} of them are pinned to stay", "其中 {n} 人被固定为留任"),
    ("without it {m}", "没有这一限制可达 {m} 人"),
    ("{n} are pinned to stay", "{n} 人被固定为留任"),
    ("every eligible teacher who may move counted", "已计入所有可以交流的应交流教师"),
    ("{n} eligible key teachers", "{n} 名应交流骨干教师"),
    # --- lungang batch: its closing lines (solver/batch/command.py, run.py)
    (
        "{n} district(s) planned, {m} kept from an earlier run, in {s} s; tables in "
        "{path}, batch.md, batch.xlsx and batch.html",
        "本次规划 {n} 个区县，沿用上次结果 {m} 个，用时 {s} 秒；汇总表：{path}、batch.md、batch.xlsx 和 batch.html",
    ),
    ("all {n} districts have a plan", "全部 {n} 个区县都有方案"),
    (
        "{n} of {m} districts have a plan; exit {e} ({name:batchstatus}), the most severe of: "
        "{why:msgs}",
        "{m} 个区县中 {n} 个有方案；退出码 {e}（{name}），取以下最严重者：{why}",
    ),
    ("{status:batchstatus} ({e}): {names}", "{status}（{e}）：{names}"),
    ("pinned in pins.csv to stay", "在 pins.csv 中固定为留任"),
    ("pinned in pins.csv to move", "在 pins.csv 中固定为交流"),
    ("pinned in pins.csv to go to {school}", "在 pins.csv 中固定调往 {school}"),
    (
        "{school} would be short of {subject:subject} teachers ({n}, demand {m} ± {w})",
        "{school} 的{subject}教师将不足（{n} 名，需求 {m} ± {w}）",
    ),
    (
        "{school} would be over {subject:subject} teachers ({n}, demand {m} ± {w})",
        "{school} 的{subject}教师将超编（{n} 名，需求 {m} ± {w}）",
    ),
    (
        "{school} would have one fewer {role:role} (posts stay filled)",
        "{school} 将少一名{role}（岗位须保持在岗）",
    ),
    (
        "{school} would have one more {role:role} (posts stay filled)",
        "{school} 将多一名{role}（岗位须保持在岗）",
    ),
    (
        "{school} would lose {n} of its {m} teachers, school_outflow_max {v} allows {a}",
        "{school} 将调出 {n} 名（共 {m} 名教师），学校调出上限 {v} 只允许 {a} 名",
    ),
    (
        "teacher_rotation_min {v} needs {n} teacher moves, there would be {m}",
        "教师交流比例下限 {v} 需要 {n} 人次教师交流，实际将为 {m}",
    ),
    (
        "key_share_of_rotated_min {v} needs {n} key teacher moves, there would be {m}",
        "骨干教师占比下限 {v} 需要 {n} 人次骨干教师交流，实际将为 {m}",
    ),
    (
        "principal_rotation_min {v} needs {n} cadre moves, there would be {m}",
        "干部交流比例下限 {v} 需要 {n} 人次干部交流，实际将为 {m}",
    ),
    (
        "{rule:rule} {v} needs {n} of {m} moves, the plan would have {a}",
        "{rule} {v} 要求 {m} 人次中有 {n} 人次，方案将为 {a}",
    ),
]

#: The phases of the progress lines (solver/progress.py PHASES) in Chinese.
_PHASES_ZH: dict[str, str] = {
    "loading": "读取数据",
    "checks": "检查",
    "build": "建模",
    "warm start": "初始方案",
    "LP guide": "线性松弛引导",
    "search": "搜索",
    "full search": "全模型搜索",
    "diagnosis": "诊断",
    "analysis": "分析",
    "writing": "写出",
    "starting": "开始",
}

_TEXTS.update(
    {
        # the frame of error messages (solver/errors.py Problem, the CLI's first lines)
        "err.problems": (
            "error: {n} problem{s} in the input:",
            "错误：输入中有 {n} 个问题：",
        ),
        "err.row": (", row {row}", "，第 {row} 行"),
        "err.column": (", column '{column}'", "，列“{column}”"),
        "err.key": (", key '{name}'", "，键“{name}”"),
        "err.got_expected": (
            " (got {value}, expected {expected})",
            "（实际为 {value}，应为 {expected}）",
        ),
        "err.got": (" (got {value})", "（实际为 {value}）"),
        "err.expected": (" (expected {expected})", "（应为 {expected}）"),
        "err.infeasible": ("infeasible: {text}", "无可行方案：{text}"),
        "err.no_plan": ("no plan: {text}", "未找到方案：{text}"),
        "err.diagnosis_hint": (
            "(`--diagnosis FILE` writes this diagnosis as JSON)",
            "（`--diagnosis FILE` 可把此诊断另存为 JSON）",
        ),
        # progress figures (solver/display.py)
        "pg.objective": ("objective", "目标值"),
        "pg.bound": ("bound", "下界"),
        "pg.gap": ("gap", "差距"),
        "pg.for": ("{phase} for {s} s", "{phase}已进行 {s} 秒"),
        "pg.quotas": (
            "quotas met {met}/3 (teachers {t}/{tm}, key {k}/{km}, cadres {c}/{cm})",
            "比例要求达成 {met}/3（教师 {t}/{tm}，骨干 {k}/{km}，干部 {c}/{cm}）",
        ),
    }
)

_COMPILED: list[tuple[re.Pattern[str], dict[str, str], str]] | None = None

#: Placeholders that stand for a number (a count, seconds, a value, a share).
_NUMBERS = {"n", "m", "s", "b", "v", "o", "g", "lo", "hi", "w", "moved", "e", "a"}
#: Placeholders that stand for a school or staff id (no spaces).
_IDS = {"school", "home", "other", "to"}


def _compile(template: str) -> tuple[re.Pattern[str], dict[str, str]]:
    kinds: dict[str, str] = {}
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)(?::(\w+))?\}", template):
        name, kind = m.group(1), m.group(2) or ""
        out.append(re.escape(template[pos : m.start()]))
        if not kind and name in _NUMBERS:
            out.append(f"(?P<{name}>-?[\\d.,]+%?)")
        elif name == "term":
            out.append(f"(?P<{name}>\\w+)")
        elif name in _IDS:  # a school or staff id: one word, so a sentence cannot swallow it
            out.append(f"(?P<{name}>[^\\s;:]+)")
        else:
            out.append(f"(?P<{name}>.+?)")
        kinds[name] = kind
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.S), kinds


def _literal(template: str) -> int:
    return len(re.sub(r"\{\w+(?::\w+)?\}", "", template))


def _fill(kind: str, value: str, lang: str) -> str:
    """A placeholder's value in ``lang``, by the kind its template gives it."""
    if kind == "col":
        return column(value, lang)
    if kind == "msg":
        return message(value, lang)
    if kind == "msgs":  # findings joined by "; "
        return "；".join(message(v, lang) for v in value.split("; "))
    if kind == "ids":  # "S01, S02 and 6 more"
        return re.sub(r" and (\d+) more$", r" 等（另 \1 个）", value).replace(", ", "，")
    if kind == "batchstatus":
        return batch_status(value, lang)
    if kind in ("rule", "subject"):
        return code(kind, value, lang)
    if kind == "role":  # written with a space in a sentence ("vice principal")
        return code("role", value.replace(" ", "_"), lang)
    if kind == "terms":  # "balance +0.1234, commute -1.20 km", or "no term changes"
        if value == "no term changes":
            return message(value, lang)
        return "，".join(
            re.sub(r"^(\w+)", lambda g: code("term", g.group(1), lang), part).replace(
                " km", " " + text("tt.km", lang)
            )
            for part in value.split(", ")
        )
    return value


def message(msg: str, lang: str = "en") -> str:
    """A message made in English (a progress line's detail, a note, an error) in ``lang``.

    ``lang="en"`` returns it unchanged; in Chinese, the first template of the
    catalogue it matches gives the text, and a message no template matches stays as it
    is."""
    if lang != "zh" or not msg:
        return msg
    global _COMPILED
    if _COMPILED is None:
        # the most specific template first: "unknown key; did you mean ..." before "unknown {what}"
        ordered = sorted(_MESSAGES, key=lambda t: -_literal(t[0]))
        _COMPILED = [(*_compile(en), zh) for en, zh in ordered]
    for pattern, kinds, zh in _COMPILED:
        m = pattern.fullmatch(msg)
        if m is None:
            continue
        values = {}
        for name, value in m.groupdict().items():
            kind = kinds[name]
            values[name] = _fill(kind, value, lang)
        return re.sub(r"\{(\w+)\}", lambda g, v=values: v[g.group(1)], zh)
    return msg


def phase(name: str, lang: str = "en") -> str:
    """A phase of the progress lines (``search``, ``LP guide``, ...) in ``lang``."""
    return _PHASES_ZH.get(name, name) if lang == "zh" else name


def problem_text(p: object, lang: str = "en") -> str:
    """A located input problem (:class:`solver.errors.Problem`) as a line in ``lang``
    (English: exactly ``str(p)``)."""
    if lang != "zh":
        return str(p)
    where = str(p.file)
    if p.row is not None:
        where += text("err.row", lang, row=p.row)
    if p.column:
        where += text("err.column", lang, column=p.column)
    if p.key:
        where += text("err.key", lang, name=p.key)
    out = f"{where}：{message(p.message, lang)}"
    expected = message(p.expected, lang) if p.expected else None
    if p.value is not None and str(p.value) != "":
        if expected:
            out += text("err.got_expected", lang, value=repr(p.value), expected=expected)
        else:
            out += text("err.got", lang, value=repr(p.value))
    elif expected:
        out += text("err.expected", lang, expected=expected)
    return out


# Outputs block R: the text tables of `explain`, `diff` and the diagnosis (text_tables.py).
_CODES_ZH["reason"] = {
    "rules": "规则",
    "quota": "比例",
    "staffing": "编制",
    "pin": "锁定",
    "balance": "均衡",
    "commute": "通勤",
    "tie": "同分",
    "eligibility": "资格",
    "coverage": "覆盖",
}
_TEXTS.update(
    {
        "tt.objective": ("objective", "目标值"),
        "tt.warning": ("warning", "警告"),
        "tt.terms": ("terms", "目标项"),
        "tt.was": ("was", "原为"),
        "tt.cv": ("coefficient", "差异系数"),
        "tt.largest_costs": ("largest school costs", "代价最大的学校"),
        "tt.commute": (
            "{km} km over {movers} movers (mean {mean}, max {max} km)",
            "{km} 公里，共 {movers} 名交流人员（平均 {mean}，最远 {max} 公里）",
        ),
        "tt.longest": ("longest", "最远"),
        "tt.km": ("km", "公里"),
        "tt.rules": ("rules (binding ones marked *)", "规则（* 为紧约束）"),
        "tt.at_cap": ("at the cap", "已达上限"),
        "tt.schools": ("schools", "学校"),
        "tt.with_moves": (" (those with moves)", "（有交流的学校）"),
        "tt.in": ("in", "调入"),
        "tt.out": ("out", "调出"),
        "tt.teachers": ("teachers", "教师"),
        "tt.key": ("key", "骨干"),
        "tt.key100": ("key/100", "骨干/百生"),
        "tt.cost": ("cost", "均衡代价"),
        "tt.gained": ("gained", "调入"),
        "tt.lost": ("lost", "调出"),
        "tt.people": ("people", "人员"),
        "tt.stays_at": ("stays at {school}", "留任 {school}"),
        "tt.alternative": ("best alternative", "最优替代方案"),
        "tt.diff.other_scenario": (
            "(the plans were made under different scenarios)",
            "（两个方案在不同的方案设置下生成）",
        ),
        "tt.diff.term": ("term", "目标项"),
        "tt.diff.count": ("count", "人数"),
        "tt.diff.people": ("{n} people decided differently", "{n} 人的决定不同"),
        "tt.diff.staff_id": ("staff_id", "工号"),
        "tt.diff.stream": ("stream", "类别"),
        "tt.diff.subject": ("subject", "学科"),
        "tt.diff.from": ("from", "原学校"),
        "tt.diff.absent": ("(absent)", "（不在方案中）"),
        "tt.diff.more": (
            "... and {n} more (--format json lists all)",
            "……另有 {n} 项（--format json 列出全部）",
        ),
        "tt.diff.more_short": ("... and {n} more", "……另有 {n} 项"),
        "tt.diff.schools": ("{n} schools end differently", "{n} 所学校的结果不同"),
        "tt.diff.in_a": ("in A", "A 调入"),
        "tt.diff.in_b": ("in B", "B 调入"),
        "tt.diff.out_a": ("out A", "A 调出"),
        "tt.diff.out_b": ("out B", "B 调出"),
        "tt.diff.key_a": ("key/100 A", "A 骨干/百生"),
        "tt.diff.key_b": ("key/100 B", "B 骨干/百生"),
        "tt.diag.head": (
            "the rules cannot all hold together ({rules}):",
            "以下规则无法同时满足（{rules}）：",
        ),
        "tt.diag.schools": ("schools", "学校"),
        "tt.diag.subjects": ("subjects", "学科"),
        "tt.diag.relax": (
            "each of these changes alone makes the rules feasible:",
            "以下任一调整即可使规则可行：",
        ),
    }
)
