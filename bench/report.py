"""bench/REPORT.md and its plot, from the figures of one harness run."""
import datetime
import os
import subprocess


def number(value):
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", "")
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def git_commit(root):
    try:
        return subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def plot(path, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (time_ax, mem_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind in sorted({r["kind"] for r in rows}):
        points = sorted((r["nodes"], r) for r in rows if r["kind"] == kind and r.get("ok"))
        if not points:
            continue
        xs = [n for n, _ in points]
        time_ax.plot(xs, [r["us_per_node"] for _, r in points], marker="o", label=kind)
        mem_ax.plot(xs, [r["rss_per_node"] for _, r in points], marker="o", label=f"{kind}: peak RSS")
        mem_ax.plot(xs, [r["bytes_per_node"] for _, r in points], marker="x", linestyle="--",
                    label=f"{kind}: stored (SQLite)")
    time_ax.set(xscale="log", yscale="log", xlabel="nodes in the workflow", ylabel="wall time per node (µs)",
                title="Cost per node (flat = linear)")
    mem_ax.axhline(1024, color="grey", linestyle=":", label="goal: 1 KB memory")
    mem_ax.axhline(300, color="black", linestyle=":", label="goal: 300 B storage")
    mem_ax.set(xscale="log", yscale="log", xlabel="nodes in the workflow", ylabel="bytes per node",
               title="Memory and storage per node")
    time_ax.legend(fontsize=7)
    mem_ax.legend(fontsize=6)
    for ax in (time_ax, mem_ax):
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(path, figures, scale_rows, context):
    directory = os.path.dirname(path)
    png = os.path.join(directory, "scale.png")
    if scale_rows and any(r.get("ok") for r in scale_rows):
        plot(png, scale_rows)
    met = sum(1 for f in figures if f.met)
    not_met = sum(1 for f in figures if f.met is False)
    lines = [
        "# Skiff benchmark report",
        "",
        f"Written by `bench/run{' --quick' if context['quick'] else ''}` on "
        f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} at commit `{context['commit']}`, "
        f"{context['cpus']} CPUs, load average {context['load_before']:.1f} before and "
        f"{context['load_after']:.1f} after (the machine is shared: wall times carry that noise), "
        f"{context['seconds']:.0f} s. {met} goals met, {not_met} not met.",
        "",
        "| scenario | figure | value | unit | goal | status | baseline (same run) | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        value = f.value if isinstance(f.value, str) else number(f.value)
        lines.append(f"| {f.scenario} | `{f.name}` | {value} | {f.unit} | {f.goal or '-'} | **{f.status()}** | "
                     f"{f.baseline or '-'} | {f.note or ''} |")
    if scale_rows:
        lines += ["", "## Scale", "", "![cost vs workflow size](scale.png)", "",
                  "| runs on | nodes | seconds | µs/node | peak RSS B/node | stored (SQLite) B/node | "
                  "workflow.json B/node |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in scale_rows:
            if not r.get("ok"):
                lines.append(f"| {r['kind']} | {r['target']} | did not complete | | | | |")
                continue
            lines.append(f"| {r['kind']} | {r['nodes']} | {r['seconds']:.2f} | {r['us_per_node']:.1f} | "
                         f"{r['rss_per_node']:.0f} | {r['bytes_per_node']:.0f} | {r['json_bytes_per_node']:.0f} |")
    notes = os.path.join(directory, "NOTES.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += ["", f.read().rstrip()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
