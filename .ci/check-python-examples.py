#!/usr/bin/env python3
"""Checks the Python examples of the docs against the Python bindings jsii-pacmak generated.

The jsii Python runtime comes from PyPI, which CI machines do not reach, so the examples cannot run here. What can
be checked is that each ```python block of README.md and docs/*.md parses, imports only names the generated
`cdk8s_databases` module defines, and calls them with the keyword arguments their generated signatures take
(required ones included). Usage: check-python-examples.py <generated python package folder> <markdown files...>
"""
import ast
import pathlib
import py_compile
import re
import sys

MODULE = "cdk8s_databases"


def generated_api(package: pathlib.Path):
    """Class name -> {member name -> (keyword params, required keyword params, takes **kwargs) or None}."""
    tree = ast.parse((package / "__init__.py").read_text())
    api = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        members = {}
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            params = [a.arg for a in fn.args.args[1:] + fn.args.kwonlyargs]
            required = [a.arg for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is None]
            members[fn.name] = (set(params), set(required), fn.args.kwarg is not None)
        api[cls.name] = members
    return api


def python_blocks(path: pathlib.Path):
    text = path.read_text()
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        yield text.count("\n", 0, match.start()) + 2, match.group(1)


def check_block(doc: str, first: int, source: str, api) -> list:
    where = f"{doc}:{first}"
    problems = []
    tree = ast.parse(source, where)
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == MODULE:
            for alias in node.names:
                if alias.name not in api:
                    problems.append(f"{where}: imports {alias.name}, which {MODULE} does not define")
                imported[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported:
            cls = imported[node.value.id]
            if cls in api and node.attr not in api[cls]:
                problems.append(f"{doc}:{first + node.lineno - 1}: {cls}.{node.attr} does not exist in the bindings")
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Name) and node.func.id in imported:
            target = (imported[node.func.id], "__init__")
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id in imported:
            target = (imported[node.func.value.id], node.func.attr)
        if not target or target[0] not in api or target[1] not in api[target[0]]:
            continue
        params, required, any_kw = api[target[0]][target[1]]
        given = {k.arg for k in node.keywords if k.arg}
        name = f"{target[0]}" + ("" if target[1] == "__init__" else f".{target[1]}")
        for kw in sorted(given - params if not any_kw else set()):
            problems.append(f"{doc}:{first + node.lineno - 1}: {name}() takes no keyword argument {kw}")
        if not any(k.arg is None for k in node.keywords):
            for kw in sorted(required - given):
                problems.append(f"{doc}:{first + node.lineno - 1}: {name}() needs the keyword argument {kw}")
    return problems


def main() -> int:
    package = pathlib.Path(sys.argv[1]) / "src" / MODULE
    for generated in package.rglob("*.py"):
        py_compile.compile(str(generated), doraise=True)
    api = generated_api(package)
    problems, blocks = [], 0
    for doc in map(pathlib.Path, sys.argv[2:]):
        for line, source in python_blocks(doc):
            blocks += 1
            problems += check_block(str(doc), line, source, api)
    for p in problems:
        print(p)
    print(f"python bindings: {len(api)} classes compiled; {blocks} example block(s) checked, {len(problems)} problem(s)")
    return 1 if problems or blocks == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
