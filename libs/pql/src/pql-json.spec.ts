import { convertExpression, parseDefinition } from './index';
import { CLOCK } from './test-support';
import { compile } from './index';

describe('pql/json', () => {
  test("AEP's documented example", () => {
    const value = JSON.stringify({
      nodeType: 'fnApply',
      fnName: '=',
      params: [
        { nodeType: 'fieldLookup', fieldName: 'city' },
        { nodeType: 'literal', value: 'DDN' },
      ],
    });
    const def = parseDefinition('pql/json', value);
    expect(compile(def, CLOCK)({ profile: { city: 'DDN' }, events: [] })).toBe(true);
    expect(compile(def, CLOCK)({ profile: { city: 'X' }, events: [] })).toBe(false);
    expect(convertExpression(value, 'pql/json', 'pql/text')).toBe('(city) = ("DDN")');
  });

  test('a profile object and parameterReference as the field root', () => {
    const viaXdm = JSON.stringify({
      nodeType: 'fnApply',
      fnName: '=',
      params: [
        {
          nodeType: 'fieldLookup',
          fieldName: 'stateProvince',
          object: { nodeType: 'fieldLookup', fieldName: 'homeAddress', object: { nodeType: 'literal', literalType: 'XDMObject', value: 'profile' } },
        },
        { nodeType: 'literal', literalType: 'String', value: 'CA' },
      ],
    });
    expect(convertExpression(viaXdm, 'pql/json', 'pql/text')).toBe('(homeAddress.stateProvince) = ("CA")');
    const viaParam = JSON.stringify({
      nodeType: 'fieldLookup',
      fieldName: 'a',
      object: { nodeType: 'parameterReference', position: 1 },
    });
    expect(convertExpression(viaParam, 'pql/json', 'pql/text')).toBe('$1.a');
  });

  test.each([
    'homeAddress.country = "US" and loyalty.tier in ["gold", "platinum"]',
    'homeAddress.country notIn ["US", "CA"]',
    'preferences.interests.intersects(["hiking", "cycling"]) or not (a.b.includes(3))',
    'person.name.equals("x", false) and city like "%es%" and s.matches("(?i)^a")',
    'person.age % 5 = 0 and -a.b < 2.5 and (x + 1) * 2 >= 4',
    'inSegment("abc") and segmentMembership.get("ups").get("abc").status = "realized"',
    'person.birthday > date(2000, 1, 31) and person.birthday.getYear() = currentYear()',
    'if(a.isNull(), 1, 2) = 1 and orders.storeId.distinct().count() > 1',
    '(P) => P.homeAddress.stateProvince = P.workAddress.stateProvince',
  ])('round trip text -> json -> text -> json: %s', (text) => {
    const json = convertExpression(text, 'pql/text', 'pql/json');
    const back = convertExpression(json, 'pql/json', 'pql/text');
    expect(convertExpression(back, 'pql/text', 'pql/json')).toBe(json);
    // The same tree, so the same refs and the same answers.
    expect(parseDefinition('pql/json', json).segmentRefs).toEqual(parseDefinition('pql/text', text).segmentRefs);
    const profile = { homeAddress: { country: 'US', stateProvince: 'CA' }, workAddress: { stateProvince: 'CA' }, loyalty: { tier: 'gold' }, person: { age: 10 } };
    const a = compile(parseDefinition('pql/text', text), CLOCK)({ profile, events: [] });
    expect(compile(parseDefinition('pql/json', json), CLOCK)({ profile, events: [] })).toBe(a);
  });

  test('the JSON shape of a method call and of literals', () => {
    expect(JSON.parse(convertExpression('a.b.includes("x")', 'pql/text', 'pql/json'))).toEqual({
      nodeType: 'fnApply',
      fnName: 'includes',
      params: [
        { nodeType: 'fieldLookup', fieldName: 'b', object: { nodeType: 'fieldLookup', fieldName: 'a' } },
        { nodeType: 'literal', literalType: 'String', value: 'x' },
      ],
    });
  });

  test.each([
    ['xEvent[a = 1].count() > 0', "unsupported construct 'filter in pql/json' at 1:7"],
    ['chain(xEvent, timestamp, [A: WHAT(a = 1)])', "unsupported construct 'chain in pql/json' at 1:1"],
    ['t occurs today', "unsupported construct 'occurs in pql/json' at 1:3"],
    ['exists X from xEvent where X.a = 1', "unsupported construct 'exists in pql/json' at 1:1"],
  ])('text that pql/json cannot express is refused: %s', (text, msg) => {
    expect(() => convertExpression(text, 'pql/text', 'pql/json')).toThrow(msg);
  });

  test.each([
    ['not json', /^pql\/json: not JSON/],
    ['{"nodeType": "quantification"}', /^unsupported construct 'quantification' in pql\/json at 0:0$/],
    ['{"nodeType": "fnApply", "fnName": "=", "params": [{"nodeType": "literal", "value": 1}]}', /takes 2 params, got 1 at 0:0$/],
    ['{"nodeType": "fnApply", "fnName": "frobnicate", "params": [{"nodeType": "literal", "value": 1}]}', /^unknown method 'frobnicate' at 0:0$/],
    ['{"nodeType": "parameterReference", "position": 2}', /only parameterReference position 1/],
    ['{"nodeType": "literal", "literalType": "Integer", "value": "x"}', /literal of type Integer/],
    ['[1]', /must be an object/],
  ])('bad pql/json: %s', (json, msg) => {
    expect(() => parseDefinition('pql/json', json)).toThrow(msg);
  });
});
