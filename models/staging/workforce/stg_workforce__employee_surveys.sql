-- Accepted rows of raw workforce/employee_surveys: the valid latest version per primary key (docs/contract.md).
{{ accepted_rows('workforce', 'employee_surveys') }}
