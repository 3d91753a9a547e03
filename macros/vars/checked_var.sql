{#-
    checked_var(name, default=none): var(name) after checking it against var_rules() (generated
    from cskpi/dbt_vars.py, which cskpi build / cskpi run apply before dbt starts). Every var
    that reaches SQL is read through it, so a plain `dbt build --vars '{...}'` with a value like
    `1; select 1` fails to compile, naming the var and what it accepts, instead of running it.
    Values are checked as text: an integer var takes 7 or "7", not 7.5, true or "7 days".
-#}
{% macro checked_var(name, default=none) -%}
    {%- set value = var(name) if default is none else var(name, default) -%}
    {%- do check_var(name, value) -%}
    {{ return(value) }}
{%- endmacro %}

{% macro var_error(name, value, accepts) -%}
    {{ exceptions.raise_compiler_error(
        "var " ~ name ~ "='" ~ value ~ "' must be " ~ accepts
        ~ "; fix it in --vars or the vars of dbt_project.yml (README, Configuration)"
    ) }}
{%- endmacro %}

{% macro var_matches(kind, value) -%}
    {{ return(modules.re.fullmatch(var_rules()['patterns'][kind], value | string) is not none) }}
{%- endmacro %}

{% macro check_var_number(name, rule, value, kind) -%}
    {%- set word = 'a number' if kind == 'number' else 'a whole number' -%}
    {%- if not var_matches(kind, value)
        or (value | string | float) < rule.minimum or (value | string | float) > rule.maximum -%}
        {%- do var_error(name, value, word ~ ' between ' ~ rule.minimum ~ ' and ' ~ rule.maximum
            ~ ' (' ~ rule.meaning ~ ')') -%}
    {%- endif -%}
{%- endmacro %}

{% macro check_var_identifier(name, value) -%}
    {%- if not var_matches('identifier', value) -%}
        {%- do var_error(name, value, 'a name of letters, digits and _ (at most 63)') -%}
    {%- endif -%}
{%- endmacro %}

{% macro check_var_expression(name, value) -%}
    {%- if value is not none and (
        not var_matches('sql_expression', value) or '--' in value | string or '/*' in value | string
    ) -%}
        {%- do var_error(name, value, 'a SQL expression of measure names, numbers, arithmetic and comparisons'
            ~ " (no quotes, ';' or comments)") -%}
    {%- endif -%}
{%- endmacro %}

{#- check_var(name, value): raise a compiler error when value breaks the rule of var name. -#}
{% macro check_var(name, value) -%}
    {%- set rule = var_rules()['vars'].get(name) -%}
    {%- if rule is none -%}
        {{ return('') }}
    {%- elif rule.kind in ('integer', 'number') -%}
        {%- do check_var_number(name, rule, value, rule.kind) -%}
    {%- elif rule.kind == 'choice' -%}
        {%- if value | string not in rule.choices -%}
            {%- do var_error(name, value, 'one of ' ~ rule.choices | join(', ')) -%}
        {%- endif -%}
    {%- elif rule.kind == 'identifier' -%}
        {%- do check_var_identifier(name, value) -%}
    {%- elif rule.kind == 'date' -%}
        {%- if not var_matches('date', value) -%}
            {%- do var_error(name, value, 'a date YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (' ~ rule.meaning ~ ')') -%}
        {%- endif -%}
    {%- elif rule.kind == 'integer_map' -%}
        {%- if value is not mapping or not value -%}
            {%- do var_error(name, value, 'a mapping of ' ~ rule.meaning) -%}
        {%- endif -%}
        {%- for key, item in value.items() -%}
            {%- do check_var_identifier(name ~ ' key', key) -%}
            {%- do check_var_number(name ~ '.' ~ key, rule, item, 'integer') -%}
        {%- endfor -%}
    {%- elif rule.kind == 'kpi_catalogue' and not kpi_catalogue_looks_safe(value) -%}
        {#- the slow search for the culprit, only once the quick test above has failed -#}
        {%- if value is not mapping or value.get('kpis') is not sequence or value.get('kpis') is string -%}
            {%- do var_error(name, '...', "a mapping with a list 'kpis' (dbt_project.yml)") -%}
        {%- endif -%}
        {%- for channels in (value.get('channels') or {}).values() -%}
            {%- for channel in channels or [] -%}
                {%- do check_var_identifier(name ~ '.channels', channel) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for kpi in value['kpis'] -%}
            {%- if kpi is not mapping -%}
                {%- do var_error(name ~ '.kpis', kpi, 'a list of mappings') -%}
            {%- endif -%}
            {%- do check_var_identifier(name ~ '.kpis.code', kpi.get('code')) -%}
            {%- for key in ['numerator', 'denominator', 'known_when'] -%}
                {%- do check_var_expression(name ~ '.kpis[' ~ kpi.get('code') ~ '].' ~ key, kpi.get(key)) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- kpi_catalogue_looks_safe(catalogue): every name and SQL expression of the catalogue passes, tested
    in one regex each (kpi_catalog() is read by many nodes; the per-item checks would cost seconds). -#}
{% macro kpi_catalogue_looks_safe(catalogue) -%}
    {%- if catalogue is not mapping or catalogue.get('kpis') is not sequence or catalogue.get('kpis') is string -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set patterns = var_rules()['patterns'] -%}
    {%- set names = [] -%}
    {%- set expressions = [] -%}
    {%- for channels in (catalogue.get('channels') or {}).values() -%}
        {%- do names.extend(channels | map('string')) -%}
    {%- endfor -%}
    {%- for kpi in catalogue['kpis'] -%}
        {%- if kpi is not mapping -%}{{ return(false) }}{%- endif -%}
        {%- do names.append(kpi.get('code') | string) -%}
        {%- for key in ['numerator', 'denominator', 'known_when'] if kpi.get(key) is not none -%}
            {%- do expressions.append(kpi[key] | string) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set joined = expressions | join(' ') -%}
    {{ return(
        modules.re.fullmatch('(' ~ patterns.identifier ~ ')( (' ~ patterns.identifier ~ '))*', names | join(' '))
            is not none
        and modules.re.fullmatch(patterns.sql_expression, joined) is not none
        and '--' not in joined and '/*' not in joined
    ) }}
{%- endmacro %}
