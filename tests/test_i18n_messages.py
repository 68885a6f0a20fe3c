"""Chinese throughout (`--lang zh`, `[output] lang = "zh"`): error messages, progress
lines and the text tables of explain, diff and the diagnosis come from the message
catalogue; English stays as it was."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from solver.analysis.diff import diff_plans, format_diff
from solver.analysis.explain import format_explain
from solver.cli import main
from solver.output.i18n import _MESSAGES, _NUMBERS, message
from solver.output.text_tables import diagnosis_text, diff_text, explain_text

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.toml"
TINY = Path(__file__).parent / "data" / "tiny"
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{3,}")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def demo_scenario(tmp_path: Path, extra: str = "", **replace: str) -> Path:
    text = DEMO.read_text(encoding="utf-8").replace(
        'data = "../data/demo"', f'data = "{(ROOT / "data" / "demo").as_posix()}"'
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    f = tmp_path / "s.toml"
    f.write_text(text + extra, encoding="utf-8")
    return f


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple[Path, Path]:
    """The demo's plan, and one of a variant with a higher teacher quota."""
    tmp = tmp_path_factory.mktemp("i18n")
    a, b = tmp / "a", tmp / "b"
    assert run("-q", "solve", str(DEMO), "--out", str(a)).exit_code == 0
    f = demo_scenario(tmp, **{"teacher_rotation_min = 0.10": "teacher_rotation_min = 0.2"})
    assert run("-q", "solve", str(f), "--out", str(b)).exit_code == 0
    return a, b


def test_bad_input_in_chinese(tmp_path: Path):
    """--lang zh: a bad staff cell is the same located problem, every word Chinese: the
    count, the place (file, row, column), what is wrong and what is expected."""
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    staff = (data / "staff.csv").read_text(encoding="utf-8").splitlines()
    staff[1] = staff[1].replace(",principal,", ",janitor,", 1)
    (data / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text(f'[scenario]\nname = "t"\nas_of = 2025-09-01\ndata = "{data.as_posix()}"\n')
    en = run("check", str(f))
    assert en.exit_code == 2
    where = str(data / "staff.csv")
    assert en.stderr.splitlines() == [
        "error: 1 problem in the input:",
        f"  {where}, row 2, column 'role': unknown role (got 'janitor', expected one of "
        "principal | vice_principal | teacher)",
    ]
    zh = run("--lang", "zh", "check", str(f))
    assert zh.exit_code == 2
    assert zh.stderr.splitlines() == [
        "错误：输入中有 1 个问题：",
        f"  {where}，第 2 行，列“role”：未知的岗位（实际为 'janitor'，应为 以下之一："
        "principal | vice_principal | teacher）",
    ]
    # the same after the command's name
    assert run("check", str(f), "--lang", "zh").stderr == zh.stderr


def test_scenario_errors_follow_the_scenarios_output_lang(tmp_path: Path):
    """[output] lang = "zh" in the scenario makes its own errors Chinese: an unknown key
    names the closest one, a number out of range says its bound."""
    f = demo_scenario(
        tmp_path,
        **{
            "teacher_rotation_min = 0.10": "teacher_rotaton_min = 0.10",
            "school_outflow_max = 0.15": "school_outflow_max = 2",
            'lang = "en"': 'lang = "zh"',
        },
    )
    r = run("check", str(f))
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert lines[0] == "错误：输入中有 2 个问题："
    assert (
        f"  {f}，键“quotas.teacher_rotaton_min”：未知的键；是否应为“quotas.teacher_rotation_min”？"
        in lines
    )
    assert f"  {f}，键“quotas.school_outflow_max”：应为 0 到 1 之间的比例（实际为 2）" in lines


def test_progress_lines_in_chinese(tmp_path: Path):
    """--lang zh on solve: every line on stderr is Chinese (phases, details, figures,
    quotas, the summary and where the plan went); no English word but the paths and
    the scenario's name."""
    out = tmp_path / "plan"
    r = run("--lang", "zh", "solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    assert lines[-1] == f"方案已写入 {out}"
    assert any(ln.endswith("读取数据：" + str(DEMO)) for ln in lines)
    assert any(
        re.search(r"\] 搜索  目标值 [\d.]+  下界 [\d.]+  差距 [\d.]+%  比例要求达成", ln)
        for ln in lines
    )
    for ln in lines:
        rest = ln.replace(str(out), "").replace(str(DEMO), "").replace("Demo district", "")
        assert CJK.search(ln), ln
        assert not WORD.search(rest), ln


def test_infeasible_in_chinese(tmp_path: Path):
    """An infeasible scenario: the diagnosis's frame and rule names in Chinese."""
    f = demo_scenario(tmp_path, **{"teacher_rotation_min = 0.10": "teacher_rotation_min = 0.9"})
    r = run("--lang", "zh", "-q", "solve", str(f), "--out", str(tmp_path / "p"))
    assert r.exit_code == 3
    assert r.stderr.startswith("无可行方案：以下规则无法同时满足（")
    assert "教师交流比例下限" in r.stderr.splitlines()[0]
    # the finding and the changes that would make it feasible, in Chinese words (a
    # change names its scenario key, which stays as written in the file)
    r = run("--lang", "zh", "solve", str(f), "--out", str(tmp_path / "p"))
    assert r.exit_code == 3
    lines = r.stderr.splitlines()
    finding = next(ln for ln in lines if ln.startswith("  - 教师交流比例下限 0.9 要求 153 名"))
    assert not WORD.search(finding), finding
    changes = [ln for ln in lines if ln.startswith("  - [")]
    assert len(changes) == 2
    for ln in changes:
        assert ln.endswith("即可行") and not WORD.search(re.sub(r"\[\w+\] \w+ =", "", ln)), ln


def test_explain_and_diff_tables_in_chinese(plans):
    """explain and diff: every header, label and code Chinese; no English word at all in
    the tables of explain without people, nor in diff's but the plans' paths."""
    a, b = plans
    ex = run("explain", str(a), "--lang", "zh")
    assert ex.exit_code == 0
    lines = ex.stdout.splitlines()
    assert lines[0].startswith("目标值 ") and "目标项" in lines and "规则（* 为紧约束）" in lines
    assert "学校（有交流的学校）" in lines
    for ln in lines:
        assert not WORD.search(ln), ln
    d = run("diff", str(a), str(b), "--lang", "zh")
    assert d.exit_code == 0
    lines = d.stdout.splitlines()
    assert lines[0] == f"A：{a}（最优）"
    assert any(ln.startswith("目标项 ") for ln in lines) and any(
        "人的决定不同" in ln for ln in lines
    )
    for ln in lines[2:]:
        assert not WORD.search(ln), ln


def test_every_persons_reasons_in_chinese(plans):
    """explain --lang zh for every eligible person of two plans: each reason, the best
    alternative and the note are Chinese sentences (the catalogue's templates for the
    analyses' reasons and the findings they join), with no English word left."""
    import json

    for plan in plans:
        people = json.loads((plan / "explain.json").read_text(encoding="utf-8"))["people"]
        args = [a for p in people for a in ("--staff", p["staff_id"])]
        ex = run("explain", str(plan), "--lang", "zh", *args)
        assert ex.exit_code == 0
        section = ex.stdout.split("\n人员\n", 1)[1].splitlines()
        assert len([ln for ln in section if ln.startswith("  E")]) == len(people)
        reasons = [ln for ln in section if ln.startswith("    ")]
        assert len(reasons) > 2 * len(people)
        for ln in reasons:
            assert CJK.search(ln) and not WORD.search(ln), ln


def test_batch_verdict_in_chinese():
    """The batch's verdict, whose parts name statuses and exit codes, reads in Chinese."""
    from solver.batch.run import verdict

    rows = [
        {"scenario": "A", "status": "optimal"},
        {"scenario": "C", "status": "bad_input"},
        {"scenario": "X", "status": "infeasible"},
        {"scenario": "B", "status": "crashed"},
    ]
    code, text = verdict(rows)
    assert message(text, "zh") == (
        "4 个区县中 1 个有方案；退出码 1（意外错误），取以下最严重者："
        "无可行方案（3）：X；输入有误（2）：C；进程崩溃（1）：B"
    )


def test_english_tables_are_the_analyses_own(plans):
    """The English tables are exactly the analyses' formatters (nothing changed)."""
    import json

    a, b = plans
    ex = json.loads((a / "explain.json").read_text(encoding="utf-8"))
    assert explain_text(ex) == format_explain(ex)
    d = diff_plans(a, b)
    assert diff_text(d) == format_diff(d)
    assert run("diff", str(a), str(b)).stdout == format_diff(d) + "\n"
    diag = {"rules": ["teacher_rotation_min"], "findings": [{"text": "x"}], "schools": ["S1"]}
    from solver.search.diagnose import format_diagnosis

    assert diagnosis_text(diag) == format_diagnosis(diag)
    assert diagnosis_text(diag, "zh").startswith("以下规则无法同时满足（教师交流比例下限）：")


def test_every_template_translates_its_own_example():
    """Each English template of the catalogue, filled with plain values, is translated
    by itself or by a more specific one, into text with Chinese or no English word."""
    for en, _zh in _MESSAGES:
        filled = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: "7" if m.group(1) in _NUMBERS else "X", en)
        out = message(filled, "zh")
        assert out != filled or not WORD.search(filled), en
    assert message("a message nobody wrote", "zh") == "a message nobody wrote"
    assert message("unknown role", "en") == "unknown role"
