using System.Text.Json;
using FluentValidation;

namespace Fayvad.Shared.Validation;

/// <summary>Makes validation messages and field keys use the wire (snake_case) names the client sends.</summary>
public static class SnakeCaseNames
{
    public static void UseForValidation()
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, expression) =>
        {
            var name = member?.Name ?? (expression is null ? null : FluentValidation.Internal.PropertyChain.FromExpression(expression).ToString());
            return name is null ? null : string.Join('.', name.Split('.').Select(JsonNamingPolicy.SnakeCaseLower.ConvertName));
        };
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);
    }
}
