-- Quarantined rows of raw workforce/employee_surveys: invalid latest versions and null-key rows (docs/contract.md).
{{ quarantined_rows('workforce', 'employee_surveys') }}
