import { exportEvent, isPrivateAddress, webhookUrlProblem } from './webhook';

describe('webhook targets', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.5',
    '172.16.3.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd12::1',
    '::ffff:127.0.0.1',
    '224.0.0.1',
    'not-an-ip',
  ])('%s is private (refused)', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.4.4'])('%s is public', (address) => expect(isPrivateAddress(address)).toBe(false));

  it('takes absolute http(s) URLs without credentials, https only in production', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x', true)).toBeUndefined();
    expect(webhookUrlProblem('http://hooks.example.com/x', false)).toBeUndefined();
    expect(webhookUrlProblem('http://hooks.example.com/x', true)).toBe('must be an https URL in production');
    expect(webhookUrlProblem('ftp://hooks.example.com/x', false)).toBe('must be an http(s) URL');
    expect(webhookUrlProblem('/relative', false)).toBe('must be an absolute URL');
    expect(webhookUrlProblem('https://user:pw@hooks.example.com/', false)).toBe('must not carry credentials');
  });

  it('names the event of an end status', () => {
    expect(exportEvent('SUCCEEDED')).toBe('export.succeeded');
    expect(exportEvent('CANCELLED')).toBe('export.cancelled');
  });
});
