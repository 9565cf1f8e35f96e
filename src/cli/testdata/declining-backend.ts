// A backend module that declines every expression case (and runs training cases): claims built on
// expressions are then not applicable, case by case, and say why.
import { CaseDeclined } from '../../backends/backend.ts';
import { referenceBackend } from '../../backends/reference.ts';

export default () => ({ ...referenceBackend({ name: 'no-expressions' }), runExpr: () => Promise.reject(new CaseDeclined('expressions are not wired up yet')) });
