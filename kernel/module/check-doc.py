#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check docs/netlink.md against the spec (mult.yaml) and the module source.

Every constant, operation and attribute of the spec must have its row in
the document's tables, with its value, type and limits, and every extended
ack message of the module must be documented.

Usage: check-doc.py mult.yaml mult_nl.c ../../docs/netlink.md
"""
import re
import sys

import yaml


def main():
    spec_path, src_path, doc_path = sys.argv[1:4]
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    with open(doc_path) as f:
        doc = f.read()
    with open(src_path) as f:
        src = f.read()
    errors = []

    consts = {}
    for d in spec.get('definitions', []):
        if d['type'] == 'const':
            consts[d['name']] = d['value']
            name = 'MULT_' + d['name'].upper().replace('-', '_')
            if not re.search(r'^\|\s*`%s`\s*\|\s*%s\s*\|' % (name, d['value']),
                             doc, re.M):
                errors.append('constant %s = %s' % (name, d['value']))

    def limit(v):
        return consts.get(v, v)

    def checks(attr):
        c = attr.get('checks', {})
        if 'min' in c and 'max' in c:
            return '%s..%s' % (limit(c['min']), limit(c['max']))
        if 'min' in c:
            return '>= %s' % limit(c['min'])
        if 'max' in c:
            return '<= %s' % limit(c['max'])
        if 'max-len' in c:
            return '<= %s bytes' % limit(c['max-len'])
        return ''

    for aset in spec['attribute-sets']:
        value = 0
        for attr in aset['attributes']:
            value = attr.get('value', value + 1)
            row = r'^\|\s*%d\s*\|\s*`%s`\s*\|\s*%s\s*\|\s*%s\s*\|' % (
                value, re.escape(attr['name']), re.escape(attr['type']),
                re.escape(checks(attr)))
            section = doc.split('### Attribute set `%s`' % aset['name'])
            if len(section) != 2:
                errors.append('no section "### Attribute set `%s`"' % aset['name'])
                break
            body = section[1].split('\n### ')[0]
            if not re.search(row, body, re.M):
                errors.append('attribute %s/%s (%d, %s, "%s")' % (
                    aset['name'], attr['name'], value, attr['type'], checks(attr)))

    value = 0
    for op in spec['operations']['list']:
        value = op.get('value', value + 1)
        kind = 'event' if 'event' in op else '/'.join(
            k for k in ('do', 'dump') if k in op)
        row = r'^\|\s*%d\s*\|\s*`%s`\s*\|\s*%s\s*\|' % (
            value, re.escape(op['name']), re.escape(kind))
        if not re.search(row, doc, re.M):
            errors.append('operation %s (%d, %s)' % (op['name'], value, kind))

    for grp in spec.get('mcast-groups', {}).get('list', []):
        if '`%s`' % grp['name'] not in doc:
            errors.append('multicast group %s' % grp['name'])

    msgs = re.findall(r'NL_SET_ERR_MSG\w*\([^;]*?"((?:[^"\\]|\\.)+)"', src, re.S)
    msgs += re.findall(r'#define MULT_NL_\w+\s*\\?\s*"([^"]+)"', src)
    for m in msgs:
        m = m.split('%')[0]
        if m not in doc:
            errors.append('extended ack message "%s"' % m)

    if errors:
        print('[module] ERROR: docs/netlink.md does not document (or disagrees on):',
              file=sys.stderr)
        for e in errors:
            print('    ' + e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
