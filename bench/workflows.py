"""The workflows the harness runs, generated so that their size is a parameter."""
import os

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: {name}\nspec:\n  entrypoint: main\n  templates:\n"
TRUE = "  - name: true-step\n    container:\n      image: alpine:3.19\n      command: [\"true\"]\n"


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sequence(steps):
    """`true` run `steps` times one after another (one step per group)."""
    if steps == 1:
        return HEAD.format(name="seq1").replace("entrypoint: main", "entrypoint: true-step") + TRUE
    y = HEAD.format(name=f"seq{steps}") + "  - name: main\n    steps:\n"
    for i in range(steps):
        y += f"    - - name: s{i}\n        template: true-step\n"
    return y + TRUE


def fanout(count):
    """`count` parallel `true` steps from one withSequence."""
    return (HEAD.format(name=f"fanout{count}") + "  - name: main\n    steps:\n"
            "    - - name: each\n        template: true-step\n"
            f"        withSequence: {{count: \"{count}\"}}\n" + TRUE)


def nested_loops(nodes):
    """About `nodes` nodes: 10 inner Steps templates, each a loop of pods."""
    inner = max(1, nodes // 10 - 2)
    return (HEAD.format(name=f"loops{nodes}") + "  - name: main\n    steps:\n"
            "    - - name: outer\n        template: inner\n        withSequence: {count: \"10\"}\n"
            "  - name: inner\n    steps:\n    - - name: leaf\n        template: true-step\n"
            f"        withSequence: {{count: \"{inner}\"}}\n" + TRUE)
