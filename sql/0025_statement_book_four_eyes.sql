-- Booking a statement line as a bank charge or interest is a decision a second person confirms, as a manual
-- match is: an outflow booked as a charge would otherwise let one person explain away a withdrawal.
ALTER TABLE proposals DROP CONSTRAINT proposals_decision_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_decision_check
  CHECK (decision IN ('claim.approve', 'claim.pay', 'award.approve', 'award.pay', 'transaction.reverse',
                      'period.close', 'statement.match', 'statement.book'));
