import { describe, expect, it } from 'vitest';
import { addStep, emptyJourneyForm, flowRows, formToDefinition, moveStep, newStep, nextStepId, removeStep, stepBars } from './journeys';

describe('journey builder', () => {
  it('gives new steps unused ids', () => {
    expect(nextStepId('WAIT', [{ id: 'wait-1' }])).toBe('wait-2');
    expect(nextStepId('SEND_EMAIL', [])).toBe('send-email-1');
  });
  it('chains the steps in list order and ends at an exit', () => {
    const f = { ...emptyJourneyForm(), name: 'Welcome', segmentId: 'seg1' };
    f.steps = addStep(f.steps, 'SEND_EMAIL');
    f.steps = moveStep(f.steps, 2, -1);
    const { input, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(input.definition.trigger).toEqual({ kind: 'SEGMENT_ENTERED', segmentId: 'seg1', type: null, channel: null });
    expect(input.definition.steps.map((s) => [s.id, s.kind, s.next])).toEqual([
      ['wait-1', 'WAIT', 'send-email-1'],
      ['send-email-1', 'SEND_EMAIL', 'exit-1'],
      ['exit-1', 'EXIT', null],
    ]);
    expect(input.definition.steps[0].wait).toEqual({ minutes: 1440 });
    expect(input.definition.goal).toEqual({ orderWithinDays: 7 });
  });
  it('routes a branch and a split', () => {
    const f = { ...emptyJourneyForm(), name: 'B', segmentId: 's' };
    const branch = { ...newStep('BRANCH', f.steps), no: 'exit-1' };
    const split = newStep('SPLIT', [...f.steps, branch]);
    f.steps = [branch, split, ...f.steps];
    const { input, errors } = formToDefinition(f);
    expect(errors).toEqual({});
    expect(input.definition.steps[0].branch).toEqual({ rule: { orders: { atLeast: 1, withinDays: 30 } }, yes: 'split-1', no: 'exit-1' });
    expect(input.definition.steps[1].split?.arms).toEqual([
      { name: 'treated', weight: 90, next: 'wait-1' },
      { name: 'holdout', weight: 10, holdout: true },
    ]);
  });
  it('reports errors by field and step', () => {
    const f = emptyJourneyForm();
    f.steps[0].waitMinutes = '0';
    const bad = { ...newStep('BRANCH', f.steps), rule: '{', no: 'wait-1' };
    f.steps.push(bad);
    const { errors } = formToDefinition(f);
    expect(errors.name).toBeDefined();
    expect(errors.trigger).toBeDefined();
    expect(errors['wait-1']).toMatch(/minutes/);
    expect(errors['branch-1']).toMatch(/JSON/);
  });
  it('removes a step and the branches to it', () => {
    const b = { ...newStep('BRANCH', []), no: 'exit-1' };
    expect(removeStep([b, newStep('EXIT', [])], 'exit-1')).toEqual([{ ...b, no: '' }]);
    expect(moveStep([b], 0, 1)).toEqual([b]);
  });
});

describe('journey flow', () => {
  const def = {
    trigger: { kind: 'SEGMENT_ENTERED', segmentId: 's' },
    steps: [
      { id: 'w', kind: 'WAIT', next: 'b', wait: { minutes: 60 } },
      { id: 'b', kind: 'BRANCH', branch: { rule: {}, yes: 'm', no: 'x' } },
      { id: 'm', kind: 'SEND_EMAIL', next: 'x', email: { subject: 'Hi' } },
      { id: 'x', kind: 'EXIT' },
    ],
  };
  it('indents the arms of a branch and jumps to a step shown above', () => {
    const rows = flowRows(def);
    expect(rows).toEqual([
      { type: 'step', id: 'w', kind: 'WAIT', depth: 0, summary: '1 hour' },
      { type: 'step', id: 'b', kind: 'BRANCH', depth: 0, summary: 'if {}' },
      { type: 'arm', label: 'Matches', depth: 1 },
      { type: 'step', id: 'm', kind: 'SEND_EMAIL', depth: 2, summary: '“Hi”' },
      { type: 'step', id: 'x', kind: 'EXIT', depth: 2, summary: '' },
      { type: 'arm', label: 'Otherwise', depth: 1 },
      { type: 'goto', id: 'x', depth: 2 },
    ]);
  });
  it('lists step counts in flow order', () => {
    const b = stepBars(def, [
      { stepId: 'x', entered: 3, completed: 3, waiting: 0 },
      { stepId: 'w', entered: 10, completed: 8, waiting: 2 },
    ]);
    expect(b.labels).toEqual(['w', 'b', 'm', 'x']);
    expect(b.entered).toEqual([10, 0, 0, 3]);
    expect(b.waiting).toEqual([2, 0, 0, 0]);
  });
});
