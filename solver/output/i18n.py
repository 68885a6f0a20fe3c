"""The message catalogue: every user-facing label of the outputs in English and Chinese.

English is the default. One place holds the texts so that a translation is a change
here, not a hunt through the code. What is translated (``lang="zh"``):

- the headers, sheet names and fixed texts of ``plan.xlsx``, ``report.html`` and the
  input template (``lungang template``); column headers use the Chinese names the
  loaders accept, so a Chinese workbook reads back;
- code values shown to people (``primary`` -> 小学, ``key`` -> 骨干教师, ...);
- the titles, headers and code values of the text tables of ``lungang indicators``.

What is not (yet): the sentences of ``explain.json`` (reasons and rule texts are
generated in English and shown as they are), the text tables of ``explain`` and
``diff``, progress lines and error messages, and
the column names of the plan's CSV files, which stay the contract's English names
because scripts, ``validate``, ``diff`` and ``--from`` read them.
"""

from __future__ import annotations

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
    "term": {"balance": "均衡", "commute": "通勤", "moves": "交流人数", "wishes": "志愿"},
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
