// Which containers are sriov-lxc's (node/lxc/ownership.ts): the mark is a whole line of the config,
// wherever it is; a mark inside another line, or indented, is not ours.
import test from 'ava';
import { ADOPTED_MARK, CREATED_MARK, creationRecord, hasCreationRecord, ownerOf, sameButMark, withMark, writeCreationRecord } from '../../../../node/lxc/ownership.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';

const CONFIG = fixture('stages/container/lxc-config-busybox-created.txt');

test('the owner is read from a whole line of the config: created, adopted, or foreign', (t) => {
  t.is(ownerOf(CONFIG), 'foreign');
  t.is(ownerOf(`${CREATED_MARK}\n${CONFIG}`), 'created');
  t.is(ownerOf(`${CONFIG}${CREATED_MARK}\n`), 'created', 'anywhere in the file');
  t.is(ownerOf(`${ADOPTED_MARK}\n${CONFIG}`), 'adopted');
  t.is(ownerOf(`${CREATED_MARK} \r\n${CONFIG}`), 'created', 'trailing blanks (an editor, CRLF) do not hide it');
  t.is(ownerOf(`${ADOPTED_MARK}\t\n${CONFIG}`), 'adopted');
  t.is(ownerOf(`${ADOPTED_MARK}\n${CREATED_MARK}\n`), 'created', 'both: created wins (teardown destroys what it created)');
});

test('a mark that is not a line of its own is not ours', (t) => {
  t.is(ownerOf(`  ${CREATED_MARK}\n${CONFIG}`), 'foreign', 'indented');
  t.is(ownerOf(`lxc.uts.name = c1 ${CREATED_MARK}\n`), 'foreign', 'after a setting');
  t.is(ownerOf(`${CREATED_MARK}x\n`), 'foreign', 'longer');
  t.is(ownerOf(CREATED_MARK.slice(0, -1)), 'foreign', 'shorter');
  t.is(ownerOf(''), 'foreign');
});

test('withMark puts one mark first and takes out any other mark of ours; sameButMark ignores only the marks', (t) => {
  t.is(withMark(CONFIG, 'created'), `${CREATED_MARK}\n${CONFIG}`);
  t.is(withMark(`${ADOPTED_MARK}\n${CONFIG}`, 'created'), `${CREATED_MARK}\n${CONFIG}`);
  t.is(withMark(`${CONFIG}${CREATED_MARK} \n`, 'adopted'), `${ADOPTED_MARK}\n${CONFIG}`, 'a mark with trailing blanks goes too');
  t.is(withMark(`${CONFIG}${ADOPTED_MARK} \n`, 'created'), `${CREATED_MARK}\n${CONFIG}`, 'either mark');
  t.is(withMark(`${CREATED_MARK}\n${CONFIG}`, 'created'), `${CREATED_MARK}\n${CONFIG}`, 'marking twice: one mark');
  t.true(sameButMark(CONFIG, `${CREATED_MARK}\n${CONFIG}`));
  t.true(sameButMark(`${ADOPTED_MARK}\n${CONFIG}`, `${CREATED_MARK}\n${CONFIG}`));
  t.false(sameButMark(CONFIG, `${CREATED_MARK}\n${CONFIG}lxc.start.auto = 1\n`));
  t.false(sameButMark(CONFIG, `  ${CREATED_MARK}\n${CONFIG}`), 'an indented mark is a line LXC reads alike, but not our mark: not the same');
});

test('the creation record lives in sriov-lxc\'s own directory, one per container', (t) => {
  t.is(creationRecord('c1'), '/var/lib/sriov-lxc/creating-container-c1');
});

test('the creation record: written 0600 in a 0700 directory of its own, found by name', async (t) => {
  const host = new FakeHost('node1');
  t.false(await hasCreationRecord(host, 'c1'));
  await writeCreationRecord(host, 'c1');
  t.deepEqual(host.commands, [], 'the directory is made by the write itself');
  t.is(host.files.get('/var/lib/sriov-lxc/creating-container-c1')?.mode, 0o600);
  t.is(host.files.get('/var/lib/sriov-lxc/creating-container-c1')?.directoryMode, 0o700);
  t.regex(host.files.get('/var/lib/sriov-lxc/creating-container-c1')?.content ?? '', /is creating the container c1 \(lxc-create\)/);
  t.true(await hasCreationRecord(host, 'c1'));
  t.false(await hasCreationRecord(host, 'c2'));
});
