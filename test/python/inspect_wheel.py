"""Inspect the installed cdk_gwlb_inspection package without importing it (its runtime
dependencies, jsii and aws-cdk-lib, come from PyPI): byte-compile every .py file, and list the
jsii types and members that the generated module declares. Prints JSON on stdout.

    python inspect_wheel.py
"""
import ast
import json
import pathlib
import py_compile
import sysconfig


def call_kwargs(node):
    return {k.arg: k.value for k in node.keywords if k.arg}


def literal(node):
    return ast.literal_eval(node) if node is not None else None


def jsii_type_of(cls):
    """(kind, fqn, decorator call) from the class decorators or the class keywords."""
    for dec in cls.decorator_list:
        if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and isinstance(dec.func.value, ast.Name) \
                and dec.func.value.id == 'jsii' and dec.func.attr in ('data_type', 'enum', 'interface'):
            return dec.func.attr, literal(call_kwargs(dec).get('jsii_type')), dec
    kw = call_kwargs(cls)
    if 'jsii_type' in kw:
        return 'class', literal(kw['jsii_type']), None
    return None, None, None


def members_of(cls, kind, dec):
    if kind == 'data_type':
        return sorted(literal(call_kwargs(dec)['name_mapping']).values())
    if kind == 'enum':
        return sorted(t.id for stmt in cls.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name))
    names = []
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef):
            for d in stmt.decorator_list:
                if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == 'member':
                    names.append(literal(call_kwargs(d)['jsii_name']))
    return sorted(names)


def main():
    pkg = pathlib.Path(sysconfig.get_paths()['purelib']) / 'cdk_gwlb_inspection'
    files = sorted(pkg.rglob('*.py'))
    for f in files:
        py_compile.compile(str(f), doraise=True)
    tree = ast.parse((pkg / '__init__.py').read_text(encoding='utf8'))
    exported = []
    types = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '__all__' for t in node.targets):
            exported = literal(node.value)
        if isinstance(node, ast.ClassDef) and not node.name.startswith('_'):
            kind, fqn, dec = jsii_type_of(node)
            if fqn is not None:
                types[fqn] = {'name': node.name, 'kind': kind, 'members': members_of(node, kind, dec)}
    print(json.dumps({
        'compiled': [str(f.relative_to(pkg)) for f in files],
        'all': sorted(exported),
        'types': types,
        'jsiiTarballs': sorted(p.name for p in (pkg / '_jsii').glob('*.tgz')),
    }))


if __name__ == '__main__':
    main()
